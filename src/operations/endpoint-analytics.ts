/**
 * GET /metrics/endpoints: per method + route, summed from the endpoint cells of the tenants the caller may see,
 * so that no figure includes a tenant hidden from the caller. Latency percentiles come from the route sketches,
 * which cover every tenant: only a caller allowed for all tenants ('*') gets them; others get null.
 */
import type { ShardAnalytics, TenantAnalytics } from '../contract/analytics.js';
import { mergeSketches, type SketchSnapshot } from '../sketch/log-sketch.js';
import { ranked, topRanked } from './ranking.js';
import { latencySummary, mean, share, type LatencySummary } from './tenant-report.js';

export interface EndpointReport {
  method: string;
  route: string;
  calls: number;
  server_errors: number;
  client_errors: number;
  /** Share of calls that ended with a 5xx status, 0 to 1. */
  error_rate: number;
  avg_response_seconds: number | null;
  /** Calls over the last hour (each tenant's sliding window, summed). */
  requests_per_hour: number;
  data_transferred_bytes: { request: number; response: number };
  /** Over every tenant, for callers allowed '*'; null otherwise (see the file comment). */
  latency_seconds: LatencySummary | null;
  /** The visible tenants with the most calls on this endpoint, most first (at most TOP_N). */
  top_tenants: { tenant: string; calls: number; error_rate: number }[];
}

interface Accumulated extends Omit<EndpointReport, 'error_rate' | 'avg_response_seconds' | 'latency_seconds' | 'top_tenants'> {
  durationSumSeconds: number;
  tenants: { tenant: string; calls: number; error_rate: number }[];
}

/**
 * `tenants`: the visible tenants' analytics; `shards`: the answers they came from, read for route sketches only
 * when `allTenants` (the caller may see every tenant). Sorted by calls, most first.
 */
export function endpointReports(
  tenants: readonly TenantAnalytics[],
  shards: readonly ShardAnalytics[],
  allTenants: boolean,
): EndpointReport[] {
  const byEndpoint = new Map<string, Accumulated>();
  for (const tenant of tenants) {
    for (const cell of tenant.endpoints) {
      const key = `${cell.method} ${cell.route}`;
      let entry = byEndpoint.get(key);
      if (entry === undefined) {
        entry = {
          method: cell.method,
          route: cell.route,
          calls: 0,
          server_errors: 0,
          client_errors: 0,
          requests_per_hour: 0,
          data_transferred_bytes: { request: 0, response: 0 },
          durationSumSeconds: 0,
          tenants: [],
        };
        byEndpoint.set(key, entry);
      }
      entry.calls += cell.requests;
      entry.server_errors += cell.serverErrors;
      entry.client_errors += cell.clientErrors;
      entry.requests_per_hour += cell.requestsLastHour;
      entry.data_transferred_bytes.request += cell.requestBytes;
      entry.data_transferred_bytes.response += cell.responseBytes;
      entry.durationSumSeconds += cell.durationSumSeconds;
      entry.tenants.push({ tenant: tenant.tenant, calls: cell.requests, error_rate: share(cell.serverErrors, cell.requests) });
    }
  }
  const sketches = new Map<string, SketchSnapshot[]>();
  if (allTenants) {
    for (const shard of shards) {
      for (const route of shard.routes) {
        const key = `${route.method} ${route.route}`;
        const list = sketches.get(key) ?? [];
        list.push(route.latency);
        sketches.set(key, list);
      }
    }
  }
  const reports = [...byEndpoint.entries()].map(([key, { durationSumSeconds, tenants: perTenant, ...entry }]) => {
    const snapshots = sketches.get(key);
    return {
      ...entry,
      error_rate: share(entry.server_errors, entry.calls),
      avg_response_seconds: mean(durationSumSeconds, entry.calls),
      latency_seconds: allTenants && snapshots !== undefined ? latencySummary(mergeSketches(snapshots)) : null,
      top_tenants: topRanked(
        perTenant,
        (tenant) => tenant.calls,
        (tenant) => tenant.tenant,
      ),
    };
  });
  return ranked(
    reports,
    (report) => report.calls,
    (report) => report.route,
    (report) => report.method,
  );
}
