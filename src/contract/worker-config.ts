/**
 * What a shard worker is told at start: the options the table marks `worker` (src/options/table.ts), resolved on
 * the main thread, and the facts of its shard. The worker reads no option and no environment of its own.
 */
import type { LiveOptionName, ResolvedOptions, ResourceAttributeValue, WorkerOptionName } from '../options/table.js';

/** The worker's side of the change diff (src/options/change.ts): the live settings it has against those it is sent. */
export { optionChanges } from '../options/change.js';

/** The options a worker receives, as resolved (`maxSeries` and `maxMemoryBytes` are this shard's share). */
export type WorkerOptions = Pick<ResolvedOptions, WorkerOptionName>;

export interface WorkerConfig extends WorkerOptions {
  shard: number;
  shards: number;
  /** Entries the shared string table can hold (its layout depends on it). */
  stringTableEntries: number;
  /** Slots of the string table's tenant region (maxTenants at creation; the layout depends on it). */
  tenantSlots: number;
  /** The resource every export carries: the service's names and attributes, the SDK's, ringmeter's, the shard's. */
  resource: Record<string, ResourceAttributeValue>;
}

/** The thresholds of the activity patterns (docs/tenants.md). */
export type ActivityThresholds = WorkerOptions['activity'];

/** What configure() may change in a running worker (the `configure` message, protocol.ts): export settings, exporters, metric families. */
export type LiveWorkerSettings = Pick<WorkerOptions, LiveOptionName & WorkerOptionName>;
