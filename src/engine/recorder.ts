/**
 * What a Collector is made of, behind its public façade (collector.ts). Reached through `internals(collector)`
 * (internal.ts), never through the public API. Its parts, one concern each:
 *
 * - `labels` (labels.ts): label ids, the shared string table and its interners;
 * - `writer` (record-writer.ts): the request path's record write into the tenant's shard ring;
 * - `shards` (shards.ts): the rings and their supervised workers, and what is asked of every worker;
 * - `status` (status.ts): stats(), health() and each shard's state, read without waiting;
 * - `reads` (reads/reads.ts): GET /metrics renders and analytics, shared by concurrent callers;
 * - `testHooks` (worker-test-hooks.ts): what tests may do to the workers;
 * - the options in effect, the metric-family switches every hook reads, the request scope of the database hooks.
 */
import type { CollectorHealth } from '../api/types.js';
import type { LiveOptions } from '../options/live.js';
import { optionChanges } from '../options/change.js';
import { reconfiguredOptions } from '../options/live.js';
import type { MetricFamiliesOptions, ResolvedOptions } from '../options/table.js';
import { Reads } from '../reads/reads.js';
import { RuntimeSampler } from '../runtime/runtime-sampler.js';
import { Labels } from './labels.js';
import { RecordWriter } from './record-writer.js';
import { Refusals } from './refusals.js';
import { RequestScope } from './request-scope.js';
import { Shards } from './shards.js';
import { TenantCreationDates } from './tenant-creation.js';
import { Status } from './status.js';
import { liveWorkerSettings } from './worker-config.js';
import { WorkerTestHooks } from './worker-test-hooks.js';

export class Recorder {
  /** The options in effect: replaced (never mutated) by configure(), so a reader never sees half a change. */
  options: ResolvedOptions;
  /** The options at creation: what sized the string table and the rings. */
  private readonly initialOptions: ResolvedOptions;
  /** configure() calls in order: each waits for the one before, so the workers apply them in the order called. */
  private configuring: Promise<unknown> = Promise.resolve();
  /**
   * The metric families switched on, read by every record call and hook (honoMetrics, the database hooks) once per
   * request or query. configure() changes its fields in place and never replaces it, so a hook keeps the reference
   * it took at setup and sees each switch on its next call, at the cost of one property read. Plain booleans in
   * one fixed-shape object: only this thread reads it.
   */
  readonly families: Required<MetricFamiliesOptions>;
  /** The tenant of the running request, for the database hooks. */
  readonly requestScope = new RequestScope();
  /**
   * Set once a postgres.js client records this collector's queries (instrumentPostgres): the Drizzle logger hook
   * then stays silent, so that a query is counted once, by the hook that can time it.
   */
  postgresInstrumented = false;
  /** Refused record calls by reason, and failures inside ringmeter's own hooks. */
  readonly refusals = new Refusals(Date.now());
  /** When the collector was made (ms since the epoch): the start of its first window, for the operations endpoints. */
  readonly startedAtMillis = Date.now();
  readonly labels: Labels;
  readonly writer: RecordWriter;
  readonly shards: Shards;
  readonly status: Status;
  readonly reads: Reads;
  readonly testHooks: WorkerTestHooks;
  /** Running while metrics.runtime is on; configure() stops, starts or restarts it. */
  private runtimeSampler: RuntimeSampler | undefined;
  /** Whether stop() was called (shutdown()): health() says so. */
  private stopped = false;

  constructor(resolved: ResolvedOptions) {
    this.options = resolved;
    this.initialOptions = resolved;
    this.families = familiesOf(resolved);
    this.labels = new Labels(resolved, this.refusals);
    this.shards = new Shards(resolved, this.labels);
    this.writer = new RecordWriter(this.shards.rings, this.refusals);
    this.status = new Status(this.shards, this.labels, this.refusals, () => this.options);
    this.reads = new Reads(this.shards.supervisors);
    this.testHooks = new WorkerTestHooks(this.shards.supervisors, resolved.testHooks, this.shards.clock);
    this.restartRuntimeSampler();
    const { tenantCreatedAt } = resolved;
    if (tenantCreatedAt !== undefined) {
      const dates = new TenantCreationDates(
        tenantCreatedAt,
        (id, tenant, createdMillis) => this.shards.tenantCreated(id, tenant, createdMillis),
        (error) => this.refusals.hookFailed('tenantCreatedAt', error),
        resolved.maxTenants,
      );
      this.labels.onNewTenant((tenant, id) => dates.noteNewTenant(tenant, id));
    }
  }

  /** Stops the runtime sampler and, with metrics.runtime on, starts one on the interval in effect (it samples at once). */
  private restartRuntimeSampler(): void {
    this.runtimeSampler?.stop();
    const { runtimeMetricsIntervalMillis } = this.options;
    this.runtimeSampler = this.families.runtime ? new RuntimeSampler(this.shards.rings[0], runtimeMetricsIntervalMillis) : undefined;
  }

  /**
   * Changes live options (the rows of src/options/table.ts marked live) on the running collector; resolves once
   * every shard has applied them. Validated first, as createCollector validates: a bad call throws and changes
   * nothing. What this thread does changes at once: the caps (for labels not seen yet: a known label keeps its id),
   * the metric families (the next record call or hook sees the switch), the runtime sampler, the hang bound. The
   * workers' part (export settings, exporters, families) goes to every shard, in the order of the calls; a new OTLP
   * endpoint is checked for connectivity by shard 0 (one request is enough to know).
   */
  configure(patch: LiveOptions): Promise<void> {
    const previous = this.options;
    const next = reconfiguredOptions(previous, this.initialOptions, patch);
    const change = optionChanges(previous, next);
    this.options = next;
    this.labels.setCaps(next);
    // In place: the hooks hold this object (see `families`).
    Object.assign(this.families, familiesOf(next));
    if (change.effects.has('sampler')) this.restartRuntimeSampler();
    this.shards.setHangMillis(next.workerHangMillis);
    const settings = liveWorkerSettings(next);
    // The new endpoint is checked when OTLP requests go elsewhere or look different, or otlp joins the exporters.
    const check = next.exporters.includes('otlp') && (change.effects.has('target') || !previous.exporters.includes('otlp'));
    const applied = this.configuring.then(() => (change.workers ? this.shards.configure(settings, check) : undefined));
    this.configuring = applied.catch(() => {});
    return applied.then(() => undefined);
  }

  /** Resolves once everything recorded before the call has been exported; rejects saying why not. */
  flush(timeoutMillis: number): Promise<void> {
    return this.shards.flush(timeoutMillis);
  }

  /** Stops the workers within `timeoutMillis`, exporting what is pending; past it, terminates them and rejects saying what was left. */
  stop(timeoutMillis: number): Promise<void> {
    this.stopped = true;
    this.runtimeSampler?.stop();
    return this.shards.stop(timeoutMillis, this.options, () => this.status.stats().export.lastError);
  }

  /** The pipeline's state as a verdict (CollectorHealth), in the one health vocabulary: ok, degraded, failing. */
  health(): CollectorHealth {
    return this.status.health(this.stopped);
  }

  /**
   * The exit report's line (process/exit-report.ts) for a process exiting before shutdown(): how many records were
   * never exported (undefined if none, or if no exporter would have sent them: prometheus and none keep nothing to send).
   */
  unexportedAtExit(): string | undefined {
    const { exporters } = this.options;
    if (!exporters.includes('otlp') && !exporters.includes('console')) return undefined;
    const left = this.shards.leftover();
    const records = left.inRing + left.aggregated;
    if (records === 0) return undefined;
    return `ringmeter: ${records} records were recorded but never exported: the process exited without collector.shutdown() (await it on the way out, or pass handleSignals: true)`;
  }
}

/** The families the record calls and hooks see: none at all on a disabled collector (it has no ring to write to). */
function familiesOf(options: ResolvedOptions): Required<MetricFamiliesOptions> {
  return options.disabled ? { http: false, db: false, tenant: false, runtime: false } : { ...options.metrics };
}
