import type { ActivityThresholds, ResourceAttributeValue } from '../options.js';

/** What a shard worker needs to know, computed once on the main thread from the resolved options. */
export interface WorkerConfig {
  shard: number;
  shards: number;
  ringCapacity: number;
  /** Entries the shared string table can hold (its layout depends on it). */
  stringTableEntries: number;
  /** Slots of the string table's tenant region (maxTenants at creation; the layout depends on it). */
  tenantSlots: number;
  resource: Record<string, ResourceAttributeValue>;
  otlp: {
    endpoint: string;
    headers: Record<string, string>;
    compression: 'gzip' | 'none';
    timeoutMillis: number;
    exportIntervalMillis: number;
    batchSize: number;
  };
  /** Series per metric in this shard. */
  maxSeries: number;
  /** Bytes of series state in this shard. */
  maxMemoryBytes: number;
  seriesIdleMillis: number;
  /** A tenant with no record for this long and nothing pending is proposed for forgetting (tenant retention). */
  tenantRetentionMillis: number;
  /** A timed query slower than this counts in the tenant profiles' slowQueries (options.slowQueryMillis). */
  slowQueryMillis: number;
  /**
   * The metric families switched on. The main thread writes no record of a family switched off; here it decides
   * which gauges are exported and whether HTTP records feed the tenant_* rows. Pending deltas of every family are
   * exported whatever it says, so that nothing recorded before a switch-off is stranded.
   */
  families: { http: boolean; db: boolean; tenant: boolean; runtime: boolean };
  /**
   * The exporters the worker runs itself. `prometheus` and `none` need nothing here: every interval's collection is
   * settled into the cumulative totals whichever exporters run, and GET /metrics reads those.
   */
  exporters: { otlp: boolean; console: boolean };
  /** The activity-pattern thresholds (docs/tenants.md). */
  activity: ActivityThresholds;
  /** Whether the worker obeys test-hook messages (test-hooks.ts); false in production. */
  testHooks: boolean;
}

/** What configure() may change in a running worker (the `configure` message, protocol.ts); the rest is fixed at start. */
export type LiveWorkerSettings = Pick<WorkerConfig, 'otlp' | 'exporters' | 'families'>;

/**
 * Whether OTLP requests go elsewhere or look different to the backend (endpoint, headers, compression): the one
 * rule both threads apply, the main thread to check the new target's connectivity, the worker to close the window.
 */
export function otlpTargetChanged(before: WorkerConfig['otlp'], after: WorkerConfig['otlp']): boolean {
  return after.endpoint !== before.endpoint || after.compression !== before.compression || !sameRecord(after.headers, before.headers);
}

/** Same keys, same values (shallow). */
export function sameRecord<T extends object>(a: T, b: T): boolean {
  const keys = Object.keys(a) as (keyof T)[];
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
