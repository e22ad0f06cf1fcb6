/**
 * GET /metrics/database: timed queries summed from the table cells of the tenants the caller may see, with the
 * slow-query threshold (options.slowQueryMillis) they were counted against. The pool figures and the query
 * latency sketch cover every tenant, so, like the route percentiles of /metrics/endpoints, only a caller allowed
 * for all tenants ('*') gets them; others get null.
 */
import type { ShardAnalytics, TenantAnalytics } from '../contract/analytics.js';
import { mergeSketches } from '../sketch/log-sketch.js';
import { topRanked } from './ranking.js';
import { latencySummary, mean, share, type LatencySummary } from './tenant-report.js';

export interface DatabaseReport {
  queries: number;
  errors: number;
  avg_query_seconds: number | null;
  slow_query_threshold_seconds: number;
  slow_queries: number;
  /** The largest of the shards' latest readings (each as of its last timed query); null unless the caller may see '*'. */
  connections: { active: number; max: number; pool_utilisation: number | null } | null;
  /** Over every tenant; null unless the caller may see '*'. */
  latency_seconds: LatencySummary | null;
  /** By queries, most first (at most TOP_N). */
  top_tables: {
    table: string;
    queries: number;
    errors: number;
    avg_query_seconds: number | null;
    slow_queries: number;
    by_query_type: Record<string, number>;
  }[];
  /** The visible tenants with the most query time, most first (at most TOP_N). */
  top_tenants: { tenant: string; queries: number; query_seconds: number; slow_queries: number }[];
}

export function databaseReport(
  tenants: readonly TenantAnalytics[],
  shards: readonly ShardAnalytics[],
  allTenants: boolean,
  slowQueryMillis: number,
): DatabaseReport {
  const tables = new Map<string, DatabaseReport['top_tables'][number] & { durationSumSeconds: number }>();
  const perTenant: DatabaseReport['top_tenants'] = [];
  let queries = 0;
  let errors = 0;
  let durationSumSeconds = 0;
  let slowQueries = 0;
  for (const tenant of tenants) {
    const own = { tenant: tenant.tenant, queries: 0, query_seconds: 0, slow_queries: 0 };
    for (const cell of tenant.tables) {
      own.queries += cell.queries;
      own.query_seconds += cell.durationSumSeconds;
      own.slow_queries += cell.slowQueries;
      let table = tables.get(cell.table);
      if (table === undefined) {
        table = {
          table: cell.table,
          queries: 0,
          errors: 0,
          avg_query_seconds: null,
          slow_queries: 0,
          by_query_type: {},
          durationSumSeconds: 0,
        };
        tables.set(cell.table, table);
      }
      table.queries += cell.queries;
      table.errors += cell.errors;
      table.slow_queries += cell.slowQueries;
      table.durationSumSeconds += cell.durationSumSeconds;
      table.by_query_type[cell.queryType] = (table.by_query_type[cell.queryType] ?? 0) + cell.queries;
      errors += cell.errors;
    }
    if (own.queries === 0) continue;
    perTenant.push(own);
    queries += own.queries;
    durationSumSeconds += own.query_seconds;
    slowQueries += own.slow_queries;
  }
  let connections: DatabaseReport['connections'] = null;
  let latency: LatencySummary | null = null;
  if (allTenants) {
    let active = 0;
    let max = 0;
    for (const shard of shards) {
      active = Math.max(active, shard.database.connectionsInUse);
      max = Math.max(max, shard.database.maxConnections);
    }
    connections = { active, max, pool_utilisation: max === 0 ? null : share(active, max) };
    latency = latencySummary(mergeSketches(shards.map((shard) => shard.database.latency)));
  }
  return {
    queries,
    errors,
    avg_query_seconds: mean(durationSumSeconds, queries),
    slow_query_threshold_seconds: slowQueryMillis / 1000,
    slow_queries: slowQueries,
    connections,
    latency_seconds: latency,
    top_tables: topRanked(
      tables.values(),
      (table) => table.queries,
      (table) => table.table,
    ).map(({ durationSumSeconds: sum, ...table }) => ({ ...table, avg_query_seconds: mean(sum, table.queries) })),
    top_tenants: topRanked(
      perTenant,
      (tenant) => tenant.query_seconds,
      (tenant) => tenant.tenant,
    ),
  };
}
