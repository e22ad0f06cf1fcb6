/**
 * What a shard worker answers to an `analytics` request (protocol.ts): its tenants' figures since each tenant was
 * first seen (or since it was last forgotten by retention), for GET /metrics/tenants, /metrics/endpoints,
 * /metrics/database and `collector.tenant(id)`. Tenants are sharded, so a tenant lives in exactly one shard; a
 * route spans shards, which is why route latency travels as a mergeable sketch and the main thread merges.
 *
 * The per-tenant × endpoint and per-tenant × table cells carry counters only; the analytics routes build the
 * endpoint and database views from the cells of the tenants the caller may see, so that a caller allowed for
 * tenant A never gets a figure that includes tenant B. Route and database sketches cover all tenants and are
 * shown only to callers allowed for every tenant ('*').
 */

/** A quantile sketch (src/sketch/log-sketch.ts) as it crosses threads (structured clone) or leaves through an API. */
export interface SketchSnapshot {
  /** Bucket index of `counts[0]`. */
  offset: number;
  counts: number[];
  zeroCount: number;
  count: number;
  sum: number;
  /** NaN when empty. */
  min: number;
  max: number;
}
export type ActivityPattern = 'high_volume' | 'medium_volume' | 'low_volume' | 'batch_processing' | 'real_time' | 'onboarding';

export const ACTIVITY_PATTERNS: readonly ActivityPattern[] = [
  'high_volume',
  'medium_volume',
  'low_volume',
  'batch_processing',
  'real_time',
  'onboarding',
];

export type AnomalySignal = 'error_rate' | 'latency_p95';

export const ANOMALY_SIGNALS: readonly AnomalySignal[] = ['error_rate', 'latency_p95'];

/** A tenant's error rate or p95 latency far outside its own recent baseline (rule: docs/tenants.md, "Anomalies"). */
export interface TenantAnomaly {
  signal: AnomalySignal;
  /** The signal's value over the last closed interval (a share 0..1 for error_rate, seconds for latency_p95). */
  value: number;
  /** Its recent baseline (EWMA mean) before that interval. */
  baseline: number;
  /** When the anomaly was first flagged, ms since the epoch. */
  sinceMillis: number;
}

/** What a tenant's cost shares are shares of (the `resource` label of tenant_cost_share). */
export type CostResource = 'request_time' | 'database_time' | 'bytes';

export const COST_RESOURCES: readonly CostResource[] = ['request_time', 'database_time', 'bytes'];

/**
 * A tenant's share of one export interval's request time, database time and bytes, 0..1 each, over the tenants of
 * its shard (docs/tenants.md, "Cost shares"); 0 for a resource no tenant used in the interval.
 */
export type CostShare = Record<CostResource, number>;

/** Request counters of one tenant on one method + route. */
export interface EndpointCell {
  method: string;
  route: string;
  requests: number;
  /** Status ≥ 500. */
  serverErrors: number;
  /** Status 400-499. */
  clientErrors: number;
  durationSumSeconds: number;
  requestBytes: number;
  responseBytes: number;
  /** Requests over the last hour (sliding window estimate, docs/tenants.md). */
  requestsLastHour: number;
}

/** Query counters of one tenant on one table and query type. */
export interface TableCell {
  table: string;
  queryType: string;
  queries: number;
  errors: number;
  durationSumSeconds: number;
  /** Queries slower than the collector's `slowQueryMillis`. */
  slowQueries: number;
}

export interface TenantAnalytics {
  tenant: string;
  /**
   * A pseudo-tenant (strings-layout.ts, PSEUDO_TENANTS): traffic pooled from many callers under a reserved name,
   * never one tenant's. The worker knows it by the id (a reserved id, not a tenant slot), so a real tenant that
   * was given a reserved name by an older recorder is still told apart.
   */
  pseudo: boolean;
  firstSeenMillis: number;
  lastSeenMillis: number;
  requests: number;
  serverErrors: number;
  clientErrors: number;
  durationSumSeconds: number;
  /** Request latency in seconds. */
  latency: SketchSnapshot;
  requestBytes: number;
  responseBytes: number;
  /** Bytes by data_type, as tenant_data_processed_bytes counts them (request, response and usage data types). */
  processedBytes: Record<string, number>;
  requestsLastHour: number;
  pattern: ActivityPattern;
  /** Signals flagged at the last closed export interval (empty before warm-up or when none is). */
  anomalies: TenantAnomaly[];
  /** Shares of the last closed export interval; null before the first close or when the tenant did nothing in it. */
  costShare: CostShare | null;
  endpoints: EndpointCell[];
  tables: TableCell[];
}

/** One method + route over all of this shard's tenants. */
export interface RouteAnalytics {
  method: string;
  route: string;
  latency: SketchSnapshot;
}

export interface DatabaseAnalytics {
  /** Query latency in seconds over all of this shard's tenants. */
  latency: SketchSnapshot;
  /** Connections in use / the pool's limit as of the last timed query (0 / 0 when unknown). */
  connectionsInUse: number;
  maxConnections: number;
}

export interface ShardAnalytics {
  shard: number;
  atMillis: number;
  tenants: TenantAnalytics[];
  routes: RouteAnalytics[];
  database: DatabaseAnalytics;
}

/** Which tenants a request asks for: every tenant, or these ids only (the worker filters, keeping answers small). */
export type TenantSelection = { all: true } | { all: false; tenants: string[] };
