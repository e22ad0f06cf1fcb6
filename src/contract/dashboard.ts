/**
 * What GET <dashboard>/data answers and the dashboard's browser script (src/hono/dashboard/dashboard.ts) reads: one
 * contract, type-checked on both sides. Types only, no import: the browser script compiles against this file alone.
 *
 * Every figure counts since each tenant was first seen (the analytics API's window: GET /metrics/tenants and
 * /metrics/endpoints give the same numbers), except `requests_last_hour`; the page derives one thing itself, the
 * request rate between two of its readings, and labels that window once. Percentiles come from the workers'
 * sketches (1 % relative error), never from histogram buckets.
 */

/** Latency in seconds; null when nothing was timed. */
export interface DashboardLatency {
  avg: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** One tenant on one method + route (its analytics cell): counters only, a cell keeps no sketch. */
export interface DashboardTenantRoute {
  method: string;
  route: string;
  requests: number;
  server_errors: number;
  client_errors: number;
  avg_seconds: number | null;
  requests_last_hour: number;
}

export interface DashboardTenant {
  tenant: string;
  requests: number;
  server_errors: number;
  client_errors: number;
  /** From the tenant's latency sketch. */
  latency_seconds: DashboardLatency;
  requests_last_hour: number;
  activity_pattern: string;
  routes: DashboardTenantRoute[];
}

/** One method + route over every tenant: counts summed from the tenants' cells, percentiles from the route sketches. */
export interface DashboardRoute {
  method: string;
  route: string;
  requests: number;
  server_errors: number;
  client_errors: number;
  requests_last_hour: number;
  latency_seconds: DashboardLatency;
}

/** The export pipeline as the page shows it (a subset of GET /metrics/health, same figures). */
export interface DashboardPipeline {
  status: 'healthy' | 'degraded' | 'unhealthy';
  reasons: string[];
  ring: { capacity: number; used: number; written: number };
  overflow: { records: number; spilled: number };
  records: { dropped: number; rejected: number; lost: number };
  workers: { count: number; running: number; restarts: number };
  /** The exporters in use now (configure() may change them): 'otlp', 'console', 'prometheus'; empty for none. */
  exporters: string[];
  /**
   * Export intervals settled, whatever the exporter (an OTLP export, a console print, or a settlement without either),
   * from the same messages as `last_at` and `last_ok`, so the counts and the last outcome always agree.
   */
  exports: { ok: number; failed: number; last_at: string | null; last_age_millis: number | null; last_ok: boolean | null };
  /** OTLP requests (a large export is several), null when OTLP is not among the exporters. */
  otlp_requests: { succeeded: number; failed: number; last_error: string | null } | null;
  series: { held: number; overflowed_records: number };
}

export interface DashboardData {
  /** When the workers answered (ms since the epoch, the newest shard's clock). */
  at: number;
  /** Sorted by tenant id. */
  tenants: DashboardTenant[];
  /** Sorted by requests, most first. */
  routes: DashboardRoute[];
  /** Why the workers gave no analytics (then tenants and routes are empty); null when they did. */
  analytics_error: string | null;
  pipeline: DashboardPipeline;
}
