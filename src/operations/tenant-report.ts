/**
 * A tenant's figures as GET /metrics/tenants, /metrics/tenants/:id and `collector.tenant(id)` give them, built on
 * the main thread from the shards' answers (contract/analytics.ts). Figures count since the tenant was first seen
 * (or since retention last forgot it). Field names are snake_case, as in the other operations bodies; the types
 * of what the workers compute (activity pattern, anomalies, cost shares) are the contract's, so a field the
 * workers learn to fill needs no change here.
 */
import type { TenantAnalytics } from '../contract/analytics.js';
import { LogSketch, type SketchSnapshot } from '../sketch/log-sketch.js';
import { topRanked } from './ranking.js';

/** Latency in seconds; null when nothing was timed. Percentiles are within 1 % of the sample at the same rank. */
export interface LatencySummary {
  avg: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface TenantEndpointShare {
  method: string;
  route: string;
  calls: number;
  /** Share of calls that ended with a 5xx status, 0 to 1. */
  error_rate: number;
  avg_response_seconds: number | null;
  requests_last_hour: number;
}

export interface TenantTableShare {
  table: string;
  query_type: string;
  queries: number;
  errors: number;
  avg_query_seconds: number | null;
  slow_queries: number;
}

/** One tenant in GET /metrics/tenants. */
export interface TenantSummary {
  tenant: string;
  first_seen: string;
  last_seen: string;
  calls: number;
  server_errors: number;
  client_errors: number;
  /** Share of calls that ended with a 5xx status, 0 to 1 (as tenant_error_rate counts it). */
  error_rate: number;
  latency_seconds: LatencySummary;
  requests_last_hour: number;
  bytes_processed: { request: number; response: number; total: number; by_data_type: Record<string, number> };
  activity_pattern: TenantAnalytics['pattern'];
  anomalies: TenantAnalytics['anomalies'];
  cost_share: TenantAnalytics['costShare'];
}

/** GET /metrics/tenants/:id and `collector.tenant(id)`: the summary plus the tenant's top endpoints and tables. */
export interface TenantReport extends TenantSummary {
  /** The tenant's endpoints by calls, most first (at most TOP_N). */
  top_endpoints: TenantEndpointShare[];
  /** The tenant's timed queries over all tables. */
  database: {
    queries: number;
    errors: number;
    avg_query_seconds: number | null;
    slow_queries: number;
    /** By queries, most first (at most TOP_N). */
    top_tables: TenantTableShare[];
  };
}

export function latencySummary(sketch: LogSketch | SketchSnapshot): LatencySummary {
  const read = sketch instanceof LogSketch ? sketch : LogSketch.from(sketch);
  if (read.count === 0) return { avg: null, p50: null, p95: null, p99: null, max: null };
  return { avg: read.sum / read.count, p50: read.quantile(0.5), p95: read.quantile(0.95), p99: read.quantile(0.99), max: read.max };
}

export function share(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

export function mean(sum: number, count: number): number | null {
  return count === 0 ? null : sum / count;
}

export function tenantSummary(t: TenantAnalytics): TenantSummary {
  const byDataType = { ...t.processedBytes };
  return {
    tenant: t.tenant,
    first_seen: new Date(t.firstSeenMillis).toISOString(),
    last_seen: new Date(t.lastSeenMillis).toISOString(),
    calls: t.requests,
    server_errors: t.serverErrors,
    client_errors: t.clientErrors,
    error_rate: share(t.serverErrors, t.requests),
    latency_seconds: { ...latencySummary(t.latency), avg: mean(t.durationSumSeconds, t.requests) },
    requests_last_hour: t.requestsLastHour,
    bytes_processed: {
      request: t.requestBytes,
      response: t.responseBytes,
      total: Object.values(byDataType).reduce((sum, bytes) => sum + bytes, 0),
      by_data_type: byDataType,
    },
    activity_pattern: t.pattern,
    anomalies: t.anomalies,
    cost_share: t.costShare,
  };
}

export function tenantReport(t: TenantAnalytics): TenantReport {
  const endpoints = topRanked(
    t.endpoints,
    (cell) => cell.requests,
    (cell) => cell.route,
    (cell) => cell.method,
  ).map((cell) => ({
    method: cell.method,
    route: cell.route,
    calls: cell.requests,
    error_rate: share(cell.serverErrors, cell.requests),
    avg_response_seconds: mean(cell.durationSumSeconds, cell.requests),
    requests_last_hour: cell.requestsLastHour,
  }));
  let queries = 0;
  let errors = 0;
  let durationSumSeconds = 0;
  let slowQueries = 0;
  for (const cell of t.tables) {
    queries += cell.queries;
    errors += cell.errors;
    durationSumSeconds += cell.durationSumSeconds;
    slowQueries += cell.slowQueries;
  }
  const topTables = topRanked(
    t.tables,
    (cell) => cell.queries,
    (cell) => cell.table,
    (cell) => cell.queryType,
  ).map((cell) => ({
    table: cell.table,
    query_type: cell.queryType,
    queries: cell.queries,
    errors: cell.errors,
    avg_query_seconds: mean(cell.durationSumSeconds, cell.queries),
    slow_queries: cell.slowQueries,
  }));
  return {
    ...tenantSummary(t),
    top_endpoints: endpoints,
    database: { queries, errors, avg_query_seconds: mean(durationSumSeconds, queries), slow_queries: slowQueries, top_tables: topTables },
  };
}
