/**
 * What the pipeline looks like now, read synchronously from the main thread's counters and the rings' header slots
 * (nothing waits on a worker, so a probe answers even while one is being replaced): stats(), the health() verdict
 * in the one health vocabulary (ok, degraded, failing), and each shard's state for the operations endpoints.
 */
import type { CollectorHealth, CollectorStats } from '../api/types.js';
import { OVERFLOWED } from '../contract/ring-layout.js';
import type { ResolvedOptions } from '../options/table.js';
import type { ConnectivityState, Incident } from '../supervisor/shard-status.js';
import type { Labels } from './labels.js';
import type { Refusals } from './refusals.js';
import type { Shards } from './shards.js';

/** How long a loss keeps health() at `degraded`. */
const HEALTH_WINDOW_MILLIS = 5 * 60_000;

/** One shard as the operations endpoints see it (Status.shardStates()): counts since start, and now. */
export interface ShardState {
  running: boolean;
  restarts: number;
  lostRecords: number;
  ringCapacity: number;
  /** Records in the ring now, not yet drained. */
  ringUsed: number;
  written: number;
  spilled: number;
  /** Records in the overflow now, not yet read by the worker. */
  overflowRecords: number;
  overflowBytes: number;
  dropped: number;
  /** Series held (as of the worker's last export) and their bytes (as of its last drain pass). */
  series: number;
  seriesBytes: number;
  /** Records aggregated into an overflow series (maxSeries or maxMemoryBytes reached), as of the last export. */
  overflowedRecords: number;
  exportsSucceeded: number;
  exportsFailed: number;
  lastExportAtMillis: number | undefined;
  lastExportOk: boolean | undefined;
  /** Exports settled with each outcome, whatever the exporter (exportsSucceeded/Failed count OTLP requests). */
  exportsSettledOk: number;
  exportsSettledFailed: number;
  lastError: string | undefined;
  /** Durations of the last exports that sent a request, oldest first. */
  exportDurationsMillis: number[];
}

export class Status {
  constructor(
    private readonly shards: Shards,
    private readonly labels: Labels,
    private readonly refusals: Refusals,
    /** The options in effect (configure() replaces them). */
    private readonly options: () => ResolvedOptions,
  ) {}

  /** The connectivity check of the endpoint the last configure() set (shard 0 runs it); undefined if none changed it. */
  get connectivity(): ConnectivityState | undefined {
    return this.shards.supervisors[0]?.status.connectivity;
  }

  /** The pipeline's state as a verdict: see CollectorHealth. `closed`: whether shutdown() was called. */
  health(closed: boolean): CollectorHealth {
    const stats = this.stats();
    const supervisors = this.shards.supervisors;
    const failing: string[] = [];
    const degraded: string[] = [];
    if (closed) failing.push('the collector is shut down');
    if (stats.workers.running < stats.workers.count && !closed) {
      failing.push(`${stats.workers.count - stats.workers.running} of ${stats.workers.count} workers are being replaced`);
    }
    if (supervisors.some((supervisor) => supervisor.status.failing))
      failing.push(`the last export failed: ${stats.export.lastError ?? 'unknown error'}`);
    const now = Date.now();
    const recent = (kind: Incident) =>
      supervisors.some((supervisor) => now - (supervisor.status.incidents[kind] ?? -Infinity) < HEALTH_WINDOW_MILLIS);
    if (recent('ringFull'))
      degraded.push(`records were dropped because the ring was full and its overflow at maxMemoryBytes (${stats.ring.dropped} in total)`);
    if (recent('workerFailed')) {
      const failure = supervisors.map((supervisor) => supervisor.status.workerFailure).find((text) => text !== undefined);
      degraded.push(`a worker failed and was replaced: ${failure ?? 'unknown error'}`);
    }
    if (recent('workerLoss')) degraded.push(`a worker died with unexported records (${stats.workers.lostRecords} lost in total)`);
    if (recent('workerDiedExporting')) {
      degraded.push(
        `a worker died while its export was in flight (${stats.workers.possiblyDelivered} records possibly delivered in total, not resent)`,
      );
    }
    if (recent('exportRejected'))
      degraded.push(`the backend refused data points (${stats.export.rejectedDataPoints + stats.export.droppedDataPoints} in total)`);
    const connectivity = this.connectivity;
    // A failed check matters until an export gets through to the endpoint it tested.
    if (connectivity?.status === 'unreachable' && !connectivity.exportedSince) {
      degraded.push(`the export endpoint failed its connectivity check after configure(): ${connectivity.error ?? 'unknown error'}`);
    }
    degraded.push(...this.refusals.healthReasons(now, stats.rejected, stats.ring.written + stats.ring.spilled + stats.ring.dropped));
    return { status: failing.length > 0 ? 'failing' : degraded.length > 0 ? 'degraded' : 'ok', reasons: [...failing, ...degraded], stats };
  }

  stats(): CollectorStats {
    const options = this.options();
    const { rings, supervisors } = this.shards;
    const ring = {
      capacity: options.ringCapacity * rings.length,
      used: 0,
      written: 0,
      spilled: 0,
      folded: 0,
      foldedToOverflow: 0,
      foldEntries: 0,
      foldSeriesBound: 0,
      foldCapacity: 0,
      overflowRecords: 0,
      overflowBytes: 0,
      dropped: 0,
    };
    const exports = {
      attempts: 0,
      succeeded: 0,
      failed: 0,
      rejectedDataPoints: 0,
      droppedDataPoints: 0,
      possiblyDuplicatedDataPoints: 0,
      lastDurationMillis: 0,
    };
    const memory = { limitBytes: options.maxMemoryBytes, usedBytes: 0, tenants: 0, foldedTenants: 0, foldedRecords: 0 };
    let rejected = 0;
    let series = 0;
    for (const writer of rings) {
      ring.used += writer.used;
      ring.written += writer.written;
      ring.dropped += writer.dropped;
      ring.spilled += writer.spill.spilled;
      ring.folded += writer.spill.folded;
      ring.foldedToOverflow += writer.spill.foldedToOverflow;
      const fold = writer.spill.foldEntries;
      ring.foldEntries += fold.used;
      ring.foldSeriesBound += fold.seriesBound;
      ring.foldCapacity += fold.capacity;
      ring.overflowRecords += writer.spill.pending;
      ring.overflowBytes += writer.spill.bytes;
      rejected += writer.rejected;
      const header = writer.header;
      exports.attempts += header.exportAttempts;
      exports.succeeded += header.exportsSucceeded;
      exports.failed += header.exportsFailed;
      exports.lastDurationMillis = Math.max(exports.lastDurationMillis, header.lastExportMicros / 1000);
      exports.rejectedDataPoints += header.rejectedPoints;
      exports.droppedDataPoints += header.droppedPoints;
      exports.possiblyDuplicatedDataPoints += header.possiblyDuplicatedPoints;
      series += header.series;
      memory.usedBytes += header.seriesBytes + writer.spill.bytes;
      memory.tenants += header.tenantsAdmitted;
      memory.foldedTenants += header.tenantsFolded;
      memory.foldedRecords += header.recordsFolded;
    }
    const connectivity = this.connectivity;
    return {
      ring,
      rejected,
      rejectedBy: this.refusals.reasons(),
      hookFailures: this.refusals.failures(),
      export: {
        ...exports,
        lastError: supervisors.map((supervisor) => supervisor.status.lastError).find((error) => error !== undefined),
        connectivity:
          connectivity === undefined
            ? undefined
            : { status: connectivity.status, checkedAtMillis: connectivity.checkedAtMillis, error: connectivity.error },
      },
      series,
      memory,
      workers: {
        count: supervisors.length,
        running: supervisors.filter((supervisor) => supervisor.running).length,
        restarts: rings.reduce((sum, writer) => sum + writer.header.restarts, 0),
        lostRecords: rings.reduce((sum, writer) => sum + writer.header.lost, 0),
        possiblyDelivered: rings.reduce((sum, writer) => sum + writer.header.possiblyDelivered, 0),
      },
      sqlTexts: { distinct: this.labels.sqlTextsHeld, max: options.maxSqlTexts },
    };
  }

  /** Each shard's state for the operations endpoints (src/operations/), read synchronously: nothing waits on a worker. */
  shardStates(): ShardState[] {
    return this.shards.rings.map((ring, shard) => {
      const supervisor = this.shards.supervisors[shard];
      const { status } = supervisor;
      const header = ring.header;
      const settled = header.exportsSettled;
      return {
        running: supervisor.running,
        restarts: header.restarts,
        lostRecords: header.lost,
        ringCapacity: ring.capacity,
        ringUsed: ring.used,
        written: ring.written,
        spilled: ring.spill.spilled,
        overflowRecords: ring.spill.pending,
        overflowBytes: ring.spill.bytes,
        dropped: ring.dropped,
        series: header.series,
        seriesBytes: header.seriesBytes,
        overflowedRecords: header.load(OVERFLOWED),
        exportsSucceeded: header.exportsSucceeded,
        exportsFailed: header.exportsFailed,
        lastExportAtMillis: status.lastExportAtMillis,
        lastExportOk: status.lastExportOk,
        exportsSettledOk: settled.ok,
        exportsSettledFailed: settled.failed,
        lastError: status.lastError,
        exportDurationsMillis: [...status.exportDurationsMillis],
      };
    });
  }
}
