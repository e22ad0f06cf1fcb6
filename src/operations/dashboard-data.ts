/**
 * The body of GET <dashboard>/data (contract/dashboard.ts): every tenant and route from the workers' structured
 * analytics answer, the one GET /metrics/tenants and /metrics/endpoints are built from (through the same read lanes
 * and coalescing: reads.ts), so the page's figures are the API's figures; and the pipeline from what the main thread
 * reads without waiting. Nothing here parses Prometheus text: the workers answer with counters and sketches.
 * Stateless: the page derives its request rates from two successive readings, so any number of open pages see the
 * same figures.
 */
import type { ShardAnalytics } from '../contract/analytics.js';
import type { DashboardData, DashboardLatency, DashboardPipeline, DashboardTenant } from '../contract/dashboard.js';
import { endpointReports } from './endpoint-analytics.js';
import type { PipelineBody } from './reports.js';
import { latencySummary, mean, type LatencySummary } from './tenant-report.js';
import { shownTenants } from './tenant-visibility.js';

/** The page's data from the shards' answers (every tenant: the dashboard is for '*' callers only). */
export function dashboardData(
  shards: readonly ShardAnalytics[] | undefined,
  analyticsError: string | null,
  pipeline: PipelineBody,
): DashboardData {
  const tenants = shards === undefined ? [] : shownTenants(shards, true);
  const rows: DashboardTenant[] = tenants
    .map((t) => ({
      tenant: t.tenant,
      requests: t.requests,
      server_errors: t.serverErrors,
      client_errors: t.clientErrors,
      latency_seconds: { ...latency(latencySummary(t.latency)), avg: mean(t.durationSumSeconds, t.requests) },
      requests_last_hour: t.requestsLastHour,
      activity_pattern: t.pattern,
      routes: t.endpoints
        .map((cell) => ({
          method: cell.method,
          route: cell.route,
          requests: cell.requests,
          server_errors: cell.serverErrors,
          client_errors: cell.clientErrors,
          avg_seconds: mean(cell.durationSumSeconds, cell.requests),
          requests_last_hour: cell.requestsLastHour,
        }))
        .sort((a, b) => compare(a.route, b.route) || compare(a.method, b.method)),
    }))
    .sort((a, b) => compare(a.tenant, b.tenant));
  const routes = shards === undefined ? [] : endpointReports(tenants, shards, true);
  return {
    at: shards === undefined ? Date.now() : Math.max(0, ...shards.map((shard) => shard.atMillis)),
    tenants: rows,
    routes: routes.map((report) => ({
      method: report.method,
      route: report.route,
      requests: report.calls,
      server_errors: report.server_errors,
      client_errors: report.client_errors,
      requests_last_hour: report.requests_per_hour,
      latency_seconds: { ...latency(report.latency_seconds), avg: report.avg_response_seconds },
    })),
    analytics_error: analyticsError,
    pipeline: dashboardPipeline(pipeline),
  };
}

/** The percentiles of a summary (null for a route no sketch covers: beyond the shard's route sketches). */
function latency(summary: LatencySummary | null): DashboardLatency {
  return { avg: summary?.avg ?? null, p50: summary?.p50 ?? null, p95: summary?.p95 ?? null, p99: summary?.p99 ?? null };
}

/** The page's part of GET /metrics/health, the same figures. */
function dashboardPipeline(body: PipelineBody): DashboardPipeline {
  const { status, reasons, ring, overflow, records, workers, exporters, export: exported, series } = body;
  return {
    status,
    reasons,
    ring: { capacity: ring.capacity, used: ring.used, written: ring.written },
    overflow: { records: overflow.records, spilled: overflow.spilled },
    records: { dropped: records.dropped, rejected: records.rejected, lost: records.lost },
    workers,
    exporters,
    exports: {
      ok: exported.settled_ok,
      failed: exported.settled_failed,
      last_at: exported.last_at,
      last_age_millis: exported.last_age_millis,
      last_ok: exported.last_at === null ? null : exported.last_ok,
    },
    otlp_requests: exporters.includes('otlp')
      ? { succeeded: exported.succeeded, failed: exported.failed, last_error: exported.last_error }
      : null,
    series: { held: series.held, overflowed_records: series.overflowed_records },
  };
}

/** Code-unit order, the same in every locale (the page sorts nothing itself). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Asks the workers and builds the body; a worker that does not answer leaves the figures empty, saying why. */
export async function readDashboardData(
  analytics: () => Promise<ShardAnalytics[]>,
  pipeline: PipelineBody,
  errorText: (error: unknown) => string,
): Promise<DashboardData> {
  try {
    return dashboardData(await analytics(), null, pipeline);
  } catch (error) {
    return dashboardData(undefined, errorText(error), pipeline);
  }
}
