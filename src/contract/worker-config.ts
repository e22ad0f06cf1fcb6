import type { ResourceAttributeValue } from '../options.js';

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
  families: { http: boolean; db: boolean; tenant: boolean; runtime: boolean };
  /**
   * The exporters the worker runs itself. `prometheus` and `none` need nothing here: every interval's collection is
   * settled into the cumulative totals whichever exporters run, and GET /metrics reads those.
   */
  exporters: { otlp: boolean; console: boolean };
  /** Whether the worker obeys test-hook messages (test-hooks.ts); false in production. */
  testHooks: boolean;
}
