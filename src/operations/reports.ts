/**
 * The JSON bodies of the operations endpoints (GET /health, /metrics/health, /otel/performance), computed from
 * what the main thread can read without waiting: health(), stats() and each shard's state (engine/status.ts).
 * Nothing here asks a worker anything, so a probe answers even while a worker is being replaced. No body names a
 * tenant: they hold counts, and their free text (reasons, errors) passes through tenant-free-text.ts. Verdicts are
 * in the one health vocabulary (ok, degraded, failing) until a body is written: http-health.ts gives its words.
 */
import type { CollectorStats, HealthStatus } from '../api/types.js';
import type { Recorder } from '../engine/recorder.js';
import { shownEndpoint } from '../secrets/shown-endpoint.js';
import { httpStatusOf, type ShownHealth, shownHealth } from './http-health.js';
import { quantile } from './quantiles.js';
import { withoutTenantIds } from './tenant-free-text.js';

export interface Report<Body = Record<string, unknown>> {
  httpStatus: 200 | 503;
  body: Body;
}

/** GET /metrics/health's body (the dashboard shows part of it: dashboard-data.ts). */
export interface PipelineBody {
  status: ShownHealth;
  reasons: string[];
  ring: { capacity: number; used: number; fill_ratio: number; written: number };
  overflow: {
    spilled: number;
    records: number;
    bytes: number;
    /** Of `spilled`, folded per series (a long burst), and of those, sent to overflow series (the fold's series bound). */
    folded: number;
    folded_to_overflow: number;
    /** The fold block being filled or the last sealed: entries used, the series bound, its capacity. */
    fold_entries: { used: number; series_bound: number; capacity: number };
  };
  records: { dropped: number; rejected: number; lost: number; possibly_delivered: number };
  workers: { count: number; running: number; restarts: number };
  /** The exporters in use now (configure() may change them). */
  exporters: string[];
  export: {
    last_at: string | null;
    last_age_millis: number | null;
    last_ok: boolean;
    last_error: string | null;
    last_duration_millis: number | undefined;
    /** Exports settled (intervals), by outcome, whatever the exporter: the same messages as last_at and last_ok. */
    settled_ok: number;
    settled_failed: number;
    /** OTLP requests (stats().export): 0 while OTLP is not an exporter. */
    succeeded: number;
    failed: number;
    attempts: number;
  };
  series: { held: number; max_per_metric: number; overflowed_records: number; memory_bytes: number; max_memory_bytes: number };
  shards: {
    shard: number;
    running: boolean;
    restarts: number;
    ring_used: number;
    overflow_records: number;
    series: number;
    last_export_at: string | null;
    last_export_ok: boolean | null;
  }[];
}

function iso(millis: number | undefined): string | null {
  return millis === undefined ? null : new Date(millis).toISOString();
}

/** Why exports look stuck: none for `staleExportMillis` since the last one (or since start). */
function staleReason(engine: Recorder, staleExportMillis: number, now: number): string | undefined {
  const last = Math.max(engine.startedAtMillis, ...engine.status.shardStates().map((shard) => shard.lastExportAtMillis ?? 0));
  const age = now - last;
  return age > staleExportMillis
    ? `no export has finished for ${Math.round(age / 1000)} s (staleExportMillis: ${staleExportMillis})`
    : undefined;
}

/**
 * What /health and /metrics/health both start from: the collector's health, with stuck exports added as a reason
 * (and making the verdict failing), and the newest export time across shards (0: none yet).
 */
function verdict(engine: Recorder, staleExportMillis: number, now: number) {
  const health = engine.health();
  const shards = engine.status.shardStates();
  const reasons = [...health.reasons];
  const stale = staleReason(engine, staleExportMillis, now);
  if (stale !== undefined) reasons.push(stale);
  const status: HealthStatus = stale !== undefined ? 'failing' : health.status;
  const lastExportAt = Math.max(0, ...shards.map((shard) => shard.lastExportAtMillis ?? 0));
  return { stats: health.stats, shards, reasons: reasons.map(shownText(engine)), status, stale, lastExportAt };
}

/** Free text as a body shows it: without any tenant id (tenant-free-text.ts). */
function shownText(engine: Recorder): (text: string) => string {
  const tenants = engine.labels.liveTenantIds;
  return (text) => withoutTenantIds(text, tenants);
}

/** GET /health: the service-level verdict, in the shape status pages and dashboards read. */
export function healthReport(engine: Recorder, staleExportMillis: number, now = Date.now()): Report {
  const { stats, shards, reasons, status, stale, lastExportAt } = verdict(engine, staleExportMillis, now);
  const { options } = engine;
  const enabled = options.metrics.http || options.metrics.db || options.metrics.tenant;
  const usedBytes = shards.reduce((sum, shard) => sum + shard.seriesBytes + shard.overflowBytes, 0);
  // Exports settled (one per interval, flush or hand-over), whatever the exporters: the figures the live page shows
  // (dashboard-data.ts), not the OTLP requests, which the console exporter never makes.
  const failedExports = shards.reduce((sum, shard) => sum + shard.exportsSettledFailed, 0);
  const total = shards.reduce((sum, shard) => sum + shard.exportsSettledOk, 0) + failedExports;
  const exportFailing = shards.some((shard) => shard.lastExportOk === false) || stale !== undefined;
  const workersDown = stats.workers.running < stats.workers.count;
  return {
    httpStatus: httpStatusOf(status),
    body: {
      status: shownHealth(status),
      reasons,
      services: {
        business_metrics: {
          status: shownHealth(workersDown ? 'failing' : 'ok'),
          enabled,
          active_tenants: engine.labels.tenantsKnown,
          memory_usage: { used_bytes: usedBytes, max_bytes: options.maxMemoryBytes, ratio: round(usedBytes / options.maxMemoryBytes) },
        },
        signoz_export: {
          status: shownHealth(exportFailing ? 'failing' : 'ok'),
          success_rate: total === 0 ? null : round((total - failedExports) / total),
          total_exports: total,
          failed_exports: failedExports,
          last_export_at: lastExportAt === 0 ? null : iso(lastExportAt),
          configuration: {
            exporters: [...options.exporters],
            // Only the endpoint in use: with the console (or no) exporter, none is.
            endpoint: options.exporters.includes('otlp') ? shownEndpoint(options.otlp.endpoint) : null,
            interval: `${options.otlp.exportIntervalMillis / 1000}s`,
            interval_millis: options.otlp.exportIntervalMillis,
            batchSize: options.otlp.batchSize,
            // The check of the endpoint the last configure() set (null if none did): status, when, and why not.
            connectivity: connectivityReport(stats.export.connectivity, shownText(engine)),
          },
        },
      },
    },
  };
}

/** GET /metrics/health: the collector's own pipeline, shard by shard and in total. */
export function pipelineReport(engine: Recorder, staleExportMillis: number, now = Date.now()): Report<PipelineBody> {
  const { stats, shards, reasons, status, lastExportAt } = verdict(engine, staleExportMillis, now);
  const { options } = engine;
  return {
    httpStatus: httpStatusOf(status),
    body: {
      status: shownHealth(status),
      reasons,
      ring: {
        capacity: stats.ring.capacity,
        used: stats.ring.used,
        fill_ratio: round(stats.ring.used / stats.ring.capacity),
        written: stats.ring.written,
      },
      overflow: {
        spilled: stats.ring.spilled,
        records: stats.ring.overflowRecords,
        bytes: stats.ring.overflowBytes,
        folded: stats.ring.folded,
        folded_to_overflow: stats.ring.foldedToOverflow,
        fold_entries: { used: stats.ring.foldEntries, series_bound: stats.ring.foldSeriesBound, capacity: stats.ring.foldCapacity },
      },
      records: {
        dropped: stats.ring.dropped,
        rejected: stats.rejected,
        lost: stats.workers.lostRecords,
        possibly_delivered: stats.workers.possiblyDelivered,
      },
      workers: { count: stats.workers.count, running: stats.workers.running, restarts: stats.workers.restarts },
      exporters: [...options.exporters],
      export: {
        last_at: lastExportAt === 0 ? null : iso(lastExportAt),
        last_age_millis: lastExportAt === 0 ? null : now - lastExportAt,
        last_ok: shards.every((shard) => shard.lastExportOk !== false) && shards.some((shard) => shard.lastExportOk === true),
        last_error: stats.export.lastError === undefined ? null : shownText(engine)(stats.export.lastError),
        last_duration_millis: stats.export.lastDurationMillis,
        settled_ok: shards.reduce((sum, shard) => sum + shard.exportsSettledOk, 0),
        settled_failed: shards.reduce((sum, shard) => sum + shard.exportsSettledFailed, 0),
        succeeded: stats.export.succeeded,
        failed: stats.export.failed,
        attempts: stats.export.attempts,
      },
      series: {
        held: stats.series,
        max_per_metric: options.maxSeries,
        overflowed_records: shards.reduce((sum, shard) => sum + shard.overflowedRecords, 0),
        memory_bytes: shards.reduce((sum, shard) => sum + shard.seriesBytes, 0),
        max_memory_bytes: options.maxMemoryBytes,
      },
      shards: shards.map((shard, index) => ({
        shard: index,
        running: shard.running,
        restarts: shard.restarts,
        ring_used: shard.ringUsed,
        overflow_records: shard.overflowRecords,
        series: shard.series,
        last_export_at: iso(shard.lastExportAtMillis),
        last_export_ok: shard.lastExportOk ?? null,
      })),
    },
  };
}

/** What /otel/performance remembers between calls (one per routes app): the records count at the previous call. */
export interface PerformanceCursor {
  atMillis: number;
  records: number;
}

/**
 * GET /otel/performance: throughput since the previous call (or since start), drain lag, export durations. The
 * main thread's cost per record is not measured in place (two clock reads per sampled record would distort a
 * ~55 ns call); bench/record-call.ts measures it (docs/benchmarks.md).
 */
export function performanceReport(engine: Recorder, cursor: PerformanceCursor, now = Date.now()): Report {
  const shards = engine.status.shardStates();
  const records = shards.reduce((sum, shard) => sum + shard.written + shard.spilled, 0);
  const windowMillis = Math.max(1, now - cursor.atMillis);
  const since = records - cursor.records;
  cursor.atMillis = now;
  cursor.records = records;
  const durations = shards.flatMap((shard) => shard.exportDurationsMillis);
  const last = shards.reduce<number | undefined>(
    (latest, shard) =>
      shard.exportDurationsMillis.length === 0 ? latest : Math.max(latest ?? 0, shard.exportDurationsMillis.at(-1) as number),
    undefined,
  );
  const ringRecords = shards.reduce((sum, shard) => sum + shard.ringUsed, 0);
  const overflowRecords = shards.reduce((sum, shard) => sum + shard.overflowRecords, 0);
  return {
    httpStatus: 200,
    body: {
      window_millis: windowMillis,
      records: since,
      records_per_second: round((since * 1000) / windowMillis),
      drain_lag: { records: ringRecords + overflowRecords, ring_records: ringRecords, overflow_records: overflowRecords },
      export_duration_millis: {
        last: last ?? null,
        p50: quantile(durations, 0.5) ?? null,
        p99: quantile(durations, 0.99) ?? null,
        samples: durations.length,
      },
      main_thread_cost_per_record_nanos: null,
      main_thread_cost_note:
        'not measured in place (two clock reads per sampled record would distort a ~55 ns call); see docs/benchmarks.md',
    },
  };
}

function connectivityReport(connectivity: CollectorStats['export']['connectivity'], shown: (text: string) => string) {
  if (connectivity === undefined) return null;
  const error = connectivity.error === undefined ? null : shown(connectivity.error);
  return { status: connectivity.status, checked_at: iso(connectivity.checkedAtMillis), error };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
