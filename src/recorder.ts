import { SDK_INFO } from '@opentelemetry/core';
import type { Exposition, ExpositionFormat } from './exposition.js';
import { Reads } from './reads.js';
import { shownEndpoint } from './operations/endpoint-shown.js';
import type { ShardState } from './operations/shard-state.js';
import type { CollectorHealth, CollectorStats } from './collector.js';
import { defaultCategory } from './endpoint-categories.js';
import { liveChange, liveWorkerSettings, reconfiguredOptions, type LiveOptions } from './live-options.js';
import { LABEL_LIMITS, MAX_OTHER_LABELS, type MetricFamiliesOptions, type ResolvedOptions } from './options.js';
import { type ConnectivityState, ShardSupervisor } from './supervisor/shard-supervisor.js';
import {
  KIND_HTTP,
  KIND_QUERY,
  KIND_TENANT_USAGE,
  USAGE_BYTES,
  KIND_TRANSACTION,
  TRANSACTION_COMMIT,
  TRANSACTION_ROLLBACK,
  tag,
} from './contract/codes.js';
import { MAX_RECORD_BYTES_VALUE, OVERFLOWED } from './contract/ring-layout.js';
import { RingWriter } from './ring/ring-writer.js';
import { Refusals } from './refusals.js';
import { RuntimeSampler } from './runtime/runtime-sampler.js';
import { EndpointInterner, InternBudget, LabelInterner, SqlInterner, TenantInterner } from './strings/interner.js';
import { EMPTY_ID, INVALID_ID, RESERVED_LABELS, TENANT_ID_BASE, UNKNOWN_ID, isPseudoTenant } from './contract/strings-layout.js';
import { StringTableWriter } from './strings/string-table.js';
import { TenantSlots } from './strings/tenant-slots.js';
import type { KnownIds } from './operations/tenant-free-text.js';
import { SYSTEM_CLOCK } from './clock.js';
import { TenantScope } from './tenant/tenant-scope.js';
import { VERSION } from './version.js';
import type { WorkerConfig } from './contract/worker-config.js';
import type { ShardAnalytics, TenantSelection } from './contract/analytics.js';
import type { WorkerMemory } from './contract/test-hooks.js';

/** How long a loss keeps health() at `degraded`. */
const HEALTH_WINDOW_MILLIS = 5 * 60_000;

/**
 * What a Collector is made of, behind its public façade (collector.ts): the string tables and interners, one ring
 * and one supervised worker per shard, and the fast paths ringmeter's own middleware and hooks write through
 * (every argument already an id or a checked number). Reached through `internals(collector)` (internal.ts), never
 * through the public API; its test hooks are there too.
 */
export class Recorder {
  /** The options in effect: replaced (never mutated) by configure(), so a reader never sees half a change. */
  options: ResolvedOptions;
  /** The options at creation: what sized the string table and the rings. */
  private readonly initialOptions: ResolvedOptions;
  /** configure() calls in order: each waits for the one before, so the workers apply them in the order called. */
  private configuring: Promise<unknown> = Promise.resolve();
  private readonly strings: StringTableWriter;
  private readonly tenants: TenantInterner;
  /** Which tenant holds which of the maxTenants reusable slots (tenant retention, tenant-slots.ts). */
  private readonly tenantSlots: TenantSlots;
  private readonly tenantBudget: InternBudget;
  private readonly labels: LabelInterner;
  private readonly sqlTexts: SqlInterner;
  private readonly sqlBudget: InternBudget;
  private readonly routesBudget: InternBudget;
  /** The endpoint interner of `recordHttp` (default category rules). */
  readonly endpoints: EndpointInterner;
  private readonly rings: RingWriter[];
  private readonly supervisors: ShardSupervisor[];
  /** Running while metrics.runtime is on; configure() stops, starts or restarts it. */
  private runtimeSampler: RuntimeSampler | undefined;
  /**
   * The metric families switched on, read by every record call and hook (honoMetrics, the database hooks) once per
   * request or query. configure() changes its fields in place and never replaces it, so a hook keeps the reference
   * it took at setup and sees each switch on its next call, at the cost of one property read. Plain booleans in
   * one fixed-shape object: only this thread reads it.
   */
  readonly families: Required<MetricFamiliesOptions>;
  /** The tenant of the running request, for the database hooks. */
  readonly tenantScope = new TenantScope();
  /**
   * Set once a postgres.js client records this collector's queries (instrumentPostgres): the Drizzle logger hook
   * then stays silent, so that a query is counted once, by the hook that can time it.
   */
  postgresInstrumented = false;
  /** Refused record calls by reason, and failures inside ringmeter's own hooks. */
  readonly refusals = new Refusals(Date.now());
  /** When the collector was made (ms since the epoch): the start of its first window, for the operations endpoints. */
  readonly startedAtMillis = Date.now();
  /** GET /metrics renders and analytics, shared by concurrent callers (reads.ts); set once the shards exist. */
  readonly reads: Reads;

  constructor(resolved: ResolvedOptions) {
    this.options = resolved;
    this.initialOptions = resolved;
    this.families = { ...resolved.metrics };
    // Tenants have a region of reusable slots of their own (strings-layout.ts); the append-only part holds the rest.
    const entries = RESERVED_LABELS.length + resolved.maxRoutes + resolved.maxSqlTexts + MAX_OTHER_LABELS;
    const bytes =
      resolved.maxRoutes * (LABEL_LIMITS.route + LABEL_LIMITS.label + 1) * 3 +
      resolved.maxSqlTexts * LABEL_LIMITS.sql * 3 +
      MAX_OTHER_LABELS * LABEL_LIMITS.label * 3;
    this.strings = new StringTableWriter(entries, bytes, resolved.maxTenants);
    this.tenantBudget = new InternBudget(resolved.maxTenants);
    this.tenantSlots = new TenantSlots(resolved.maxTenants, resolved.workers, TENANT_ID_BASE);
    this.tenants = new TenantInterner(this.strings, this.tenantSlots, this.tenantBudget, LABEL_LIMITS.tenantId);
    this.labels = new LabelInterner(this.strings, new InternBudget(MAX_OTHER_LABELS), LABEL_LIMITS.label);
    this.sqlBudget = new InternBudget(resolved.maxSqlTexts);
    this.sqlTexts = new SqlInterner(this.strings, this.sqlBudget, LABEL_LIMITS.sql);
    this.routesBudget = new InternBudget(resolved.maxRoutes);
    this.endpoints = this.createEndpointInterner(defaultCategory);

    this.rings = [];
    this.supervisors = [];
    for (let shard = 0; shard < resolved.workers; shard++) {
      const ring = new RingWriter(resolved.ringCapacity, Math.floor(resolved.maxMemoryBytes / resolved.workers), {
        ring: this.tenantSlots.ringStamp,
        segments: this.tenantSlots.segmentStamp,
      });
      this.rings.push(ring);
      this.supervisors.push(
        new ShardSupervisor(
          shard,
          ring,
          this.strings.buffer,
          workerConfig(resolved, shard, entries),
          resolved.workerHangMillis,
          SYSTEM_CLOCK,
          this.tenantSlots,
        ),
      );
    }
    this.reads = new Reads(this.supervisors);
    this.restartRuntimeSampler();
  }

  /** Stops the runtime sampler and, with metrics.runtime on, starts one on the interval in effect (it samples at once). */
  private restartRuntimeSampler(): void {
    this.runtimeSampler?.stop();
    const { metrics, runtimeMetricsIntervalMillis } = this.options;
    this.runtimeSampler = metrics.runtime ? new RuntimeSampler(this.rings[0], runtimeMetricsIntervalMillis) : undefined;
  }

  /**
   * The HTTP fast path: every argument already an id or a checked number. Byte counts above 48 bits
   * saturate.
   */
  writeHttp(
    method: number,
    statusCode: number,
    endpoint: number,
    tenant: number,
    seconds: number,
    requestBytes: number,
    responseBytes: number,
  ): void {
    this.ringOf(tenant).writeWithByteCounts(
      tag(KIND_HTTP, method, statusCode),
      endpoint,
      tenant,
      seconds,
      requestBytes > MAX_RECORD_BYTES_VALUE ? MAX_RECORD_BYTES_VALUE : Math.floor(requestBytes),
      responseBytes > MAX_RECORD_BYTES_VALUE ? MAX_RECORD_BYTES_VALUE : Math.floor(responseBytes),
    );
  }

  /**
   * The query fast path. `detail` holds QUERY_* flags and the query type; `key` a SQL or table id;
   * `sqlStateClass` a code from sqlstate.ts; `inFlight`/`connectionLimit` feed the pool gauges (0 = unknown).
   */
  writeQuery(
    detail: number,
    sqlStateClass: number,
    key: number,
    tenant: number,
    database: number,
    seconds: number,
    inFlight: number,
    connectionLimit: number,
  ): void {
    this.ringOf(tenant).write(tag(KIND_QUERY, detail, sqlStateClass), key, tenant, database, seconds, inFlight, connectionLimit);
  }

  /** */
  writeTransaction(committed: boolean, nested: boolean, tenant: number, database: number): void {
    this.ringOf(tenant).write(
      tag(KIND_TRANSACTION, committed ? TRANSACTION_COMMIT : TRANSACTION_ROLLBACK, nested ? 1 : 0),
      EMPTY_ID,
      tenant,
      database,
      0,
      0,
      0,
    );
  }

  /**
   * The string id of a tenant id given to a record call or returned by a hook's resolver; `reason` names which
   * (`recordHttp.tenantId`, `honoMetrics.tenant`). Missing (undefined or null): `unknown`. Anything else that is
   * no usable tenant id (not a string, empty, too long, control characters, lone surrogates, or a reserved name:
   * strings-layout.ts) is `invalid`, counted in stats().rejectedBy under `reason` (`<reason>.reserved` for a
   * reserved name). Never negative: the id always names a tenant every shard knows. A known tenant costs one Map
   * lookup and one comparison.
   */
  tenantId(tenantId: unknown, reason: string): number {
    // Kept small, the rare paths out of line: this runs on every record call and request.
    if (typeof tenantId === 'string') {
      const id = this.tenants.intern(tenantId);
      return id !== INVALID_ID ? id : this.invalidTenant(isPseudoTenant(tenantId) ? `${reason}.reserved` : reason);
    }
    return tenantId === undefined || tenantId === null ? UNKNOWN_ID : this.invalidTenant(reason);
  }

  /** `invalid`, counted under `reason`: for a resolver that threw or gave what is no tenant id. */
  invalidTenant(reason: string): number {
    this.refusals.tenantReplaced(reason);
    return INVALID_ID;
  }

  /** A SQL text's string id (the text cut to LABEL_LIMITS.sql first). */
  sqlId(sql: string): number {
    return this.sqlTexts.intern(sql);
  }

  /** A label's string id (databases, tables, resource and data types). */
  labelId(label: string): number {
    return this.labels.intern(label);
  }

  /** An endpoint interner with its own category rules (each Hono middleware has one); routes share one budget. */
  createEndpointInterner(categoryOf: (route: string) => string): EndpointInterner {
    return new EndpointInterner(this.strings, this.routesBudget, LABEL_LIMITS.route, categoryOf);
  }

  /** Counts a refused record; `reason` names the call and the field that was wrong (`recordHttp.statusCode`). */
  reject(reason: string): void {
    this.rings[0].reject();
    this.refusals.refuse(reason);
  }

  /** Counts a failure inside a hook's own recording (`hook`: honoMetrics, instrumentPostgres…), for stats() and health(). */
  hookFailed(hook: string, error: unknown): void {
    this.refusals.hookFailed(hook, error);
  }

  /** Test hook: hold back (or release) every worker. */
  async pauseWorkers(paused: boolean): Promise<void> {
    this.requireTestHooks();
    await Promise.all(this.supervisors.map((supervisor) => supervisor.setPaused(paused)));
  }

  /** Test hook: terminate one shard's worker as if it had crashed; resolves when its replacement runs. */
  killWorker(shard = 0): Promise<void> {
    this.requireTestHooks();
    return this.supervisors[shard].kill();
  }

  /** Test hook: limit each worker's drain pass (undefined: no limit). */
  async throttleWorkers(recordsPerPass: number | undefined): Promise<void> {
    this.requireTestHooks();
    await Promise.all(this.supervisors.map((supervisor) => supervisor.throttle(recordsPerPass)));
  }

  /** Test hook: keep every worker from obeying the main thread's tenantsForget (tenant retention), or let them. */
  async holdTenantForgets(held: boolean): Promise<void> {
    this.requireTestHooks();
    await Promise.all(this.supervisors.map((supervisor) => supervisor.holdTenantForgets(held)));
  }

  /** Test hook: each worker's own memory after a full GC (with --expose-gc), and what its budget accounts. */
  measureWorkerMemory(timeoutMillis = 10_000): Promise<WorkerMemory[]> {
    this.requireTestHooks();
    return Promise.all(this.supervisors.map((supervisor) => supervisor.measureMemory(timeoutMillis)));
  }

  /** Test hook: make one shard's worker hang. */
  hangWorker(shard = 0): Promise<void> {
    this.requireTestHooks();
    return this.supervisors[shard].hang();
  }

  private requireTestHooks(): void {
    if (!this.options.testHooks) {
      throw new Error('ringmeter: test hooks are off; make the collector with createTestCollector (ringmeter/internal)');
    }
  }

  /** The tenant usage fast path. `bytes`: the data type is 'bytes' (USAGE_BYTES), so the usage also counts as processed bytes. */
  writeUsage(resource: number, tenant: number, dataType: number, usage: number, bytes: boolean): void {
    this.ringOf(tenant).write(tag(KIND_TENANT_USAGE, bytes ? USAGE_BYTES : 0, 0), resource, tenant, dataType, usage, 0, 0);
  }

  /** Resolves once everything recorded before the call has been exported; rejects saying why not. */
  async flush(timeoutMillis: number): Promise<void> {
    const results = await Promise.allSettled(this.supervisors.map((supervisor) => supervisor.flush(timeoutMillis)));
    const reasons = results.flatMap((result) => (result.status === 'rejected' ? [errorText(result.reason)] : []));
    if (reasons.length > 0) throw new Error(reasons.length === 1 ? reasons[0] : reasons.join('; '));
  }

  /**
   * Changes live options (LIVE_OPTIONS, live-options.ts) on the running collector; resolves once every shard has
   * applied them. Validated first, as createCollector validates: a bad call throws and changes nothing. What this
   * thread does changes at once: the caps (for labels not seen yet: a known label keeps its id), the metric
   * families (the next record call or hook sees the switch), the runtime sampler, the hang bound. The workers' part
   * (export settings, exporters, families) goes to every shard, in the order of the calls; a new OTLP endpoint is
   * checked for connectivity by shard 0 (one request is enough to know).
   */
  configure(patch: LiveOptions): Promise<void> {
    const next = reconfiguredOptions(this.options, this.initialOptions, patch);
    const change = liveChange(this.options, next);
    this.options = next;
    this.tenantBudget.max = next.maxTenants;
    this.routesBudget.max = next.maxRoutes;
    this.sqlBudget.max = next.maxSqlTexts;
    // In place: the hooks hold this object (see `families`).
    Object.assign(this.families, next.metrics);
    if (change.sampler) this.restartRuntimeSampler();
    for (const supervisor of this.supervisors) supervisor.setHangMillis(next.workerHangMillis);
    const settings = liveWorkerSettings(next);
    const applied = this.configuring.then(() =>
      change.workers
        ? Promise.all(this.supervisors.map((supervisor, shard) => supervisor.configure(settings, change.check && shard === 0)))
        : undefined,
    );
    this.configuring = applied.catch(() => {});
    return applied.then(() => undefined);
  }

  /** The connectivity check of the endpoint the last configure() set; undefined if none changed it. */
  get connectivity(): ConnectivityState | undefined {
    return this.supervisors[0].connectivity;
  }

  /** The pipeline's state as a verdict: see CollectorHealth. `closed`: whether shutdown() was called. */
  health(closed: boolean): CollectorHealth {
    const stats = this.stats();
    const failing: string[] = [];
    const degraded: string[] = [];
    if (closed) failing.push('the collector is shut down');
    if (stats.workers.running < stats.workers.count && !closed) {
      failing.push(`${stats.workers.count - stats.workers.running} of ${stats.workers.count} workers are being replaced`);
    }
    if (this.supervisors.some((supervisor) => supervisor.failing))
      failing.push(`the last export failed: ${stats.export.lastError ?? 'unknown error'}`);
    const recent = (kind: keyof ShardSupervisor['incidents']) =>
      this.supervisors.some((supervisor) => Date.now() - (supervisor.incidents[kind] ?? -Infinity) < HEALTH_WINDOW_MILLIS);
    if (recent('ringFull'))
      degraded.push(`records were dropped because the ring was full and its overflow at maxMemoryBytes (${stats.ring.dropped} in total)`);
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
    degraded.push(...this.refusals.healthReasons(Date.now(), stats.rejected, stats.ring.written + stats.ring.spilled + stats.ring.dropped));
    return { status: failing.length > 0 ? 'failing' : degraded.length > 0 ? 'degraded' : 'ok', reasons: [...failing, ...degraded], stats };
  }

  stats(): CollectorStats {
    let used = 0;
    let written = 0;
    let dropped = 0;
    let spilled = 0;
    let overflowRecords = 0;
    let overflowBytes = 0;
    let rejected = 0;
    let attempts = 0;
    let succeeded = 0;
    let failed = 0;
    let rejectedDataPoints = 0;
    let droppedDataPoints = 0;
    let lastDurationMillis = 0;
    let series = 0;
    const memory = { limitBytes: this.options.maxMemoryBytes, usedBytes: 0, tenants: 0, foldedTenants: 0, foldedRecords: 0 };
    for (const ring of this.rings) {
      used += ring.used;
      written += ring.written;
      dropped += ring.dropped;
      rejected += ring.rejected;
      spilled += ring.spill.spilled;
      overflowRecords += ring.spill.pending;
      overflowBytes += ring.spill.bytes;
      const header = ring.header;
      attempts += header.exportAttempts;
      succeeded += header.exportsSucceeded;
      failed += header.exportsFailed;
      lastDurationMillis = Math.max(lastDurationMillis, header.lastExportMicros / 1000);
      series += header.series;
      memory.usedBytes += header.seriesBytes + ring.spill.bytes;
      memory.tenants += header.tenantsAdmitted;
      memory.foldedTenants += header.tenantsFolded;
      memory.foldedRecords += header.recordsFolded;
    }
    for (const supervisor of this.supervisors) {
      rejectedDataPoints += supervisor.rejectedPoints;
      droppedDataPoints += supervisor.droppedPoints;
    }
    return {
      ring: { capacity: this.options.ringCapacity * this.rings.length, used, written, spilled, overflowRecords, overflowBytes, dropped },
      rejected,
      rejectedBy: this.refusals.reasons(),
      hookFailures: this.refusals.failures(),
      export: {
        attempts,
        succeeded,
        failed,
        rejectedDataPoints,
        droppedDataPoints,
        lastDurationMillis,
        lastError: this.supervisors.map((supervisor) => supervisor.lastError).find((error) => error !== undefined),
        connectivity: connectivityStats(this.connectivity),
      },
      series,
      memory,
      workers: {
        count: this.supervisors.length,
        running: this.supervisors.filter((supervisor) => supervisor.running).length,
        restarts: this.supervisors.reduce((sum, supervisor) => sum + supervisor.restartCount, 0),
        lostRecords: this.supervisors.reduce((sum, supervisor) => sum + supervisor.lostRecords, 0),
        possiblyDelivered: this.supervisors.reduce((sum, supervisor) => sum + supervisor.possiblyDeliveredRecords, 0),
      },
      sqlTexts: { distinct: this.sqlTexts.size, max: this.options.maxSqlTexts },
    };
  }

  /**
   * Tenants holding a slot now (at most maxTenants; beyond it new ones are recorded as `__overflow__` until
   * retention frees a slot).
   */
  get tenantsKnown(): number {
    return this.tenantSlots.live;
  }

  /** The live tenants' ids, as the health bodies look for them to leave them out (operations/tenant-free-text.ts). */
  get liveTenantIds(): KnownIds {
    const slots = this.tenantSlots;
    return { has: (id) => slots.slotOf(id) !== undefined, hasIdOfLength: (units) => slots.hasIdOfLength(units) };
  }

  /** Tenant slots held now: live tenants and retired ones whose slot is not freed yet (at most maxTenants). */
  get tenantSlotsHeld(): number {
    return this.tenantSlots.held;
  }

  /** Each shard's state for the operations endpoints (src/operations/), read synchronously: nothing waits on a worker. */
  shardStates(): ShardState[] {
    return this.rings.map((ring, shard) => {
      const supervisor = this.supervisors[shard];
      const header = ring.header;
      return {
        running: supervisor.running,
        restarts: supervisor.restartCount,
        lostRecords: supervisor.lostRecords,
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
        lastExportAtMillis: supervisor.lastExportAtMillis,
        lastExportOk: supervisor.lastExportOk,
        exportsSettledOk: supervisor.exportsSettled.ok,
        exportsSettledFailed: supervisor.exportsSettled.failed,
        lastError: supervisor.lastError,
        exportDurationsMillis: [...supervisor.exportDurationsMillis],
      };
    });
  }

  /** GET /metrics: see Reads.scrape. */
  scrape(timeoutMillis: number, signal?: AbortSignal): Promise<Exposition> {
    return this.reads.scrape(timeoutMillis, signal);
  }

  /** GET /metrics as text (the dashboard's data). */
  async renderMetrics(format: ExpositionFormat, timeoutMillis: number, signal?: AbortSignal): Promise<string> {
    return (await this.reads.scrape(timeoutMillis, signal)).text(format);
  }

  /** Tenant analytics, one answer per shard: see Reads.analytics. */
  analytics(selection: TenantSelection, timeoutMillis: number, signal?: AbortSignal): Promise<ShardAnalytics[]> {
    return this.reads.analytics(selection, timeoutMillis, signal);
  }

  /** Stops the workers within `timeoutMillis`, exporting what is pending; past it, terminates them and rejects saying what was left. */
  async stop(timeoutMillis: number): Promise<void> {
    this.runtimeSampler?.stop();
    const deadline = Date.now() + timeoutMillis;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMillis);
    });
    const stopped = Promise.allSettled(this.supervisors.map((supervisor) => supervisor.shutdown(deadline)));
    const result = await Promise.race([stopped, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      const left = this.leftover();
      await Promise.allSettled(this.supervisors.map((supervisor) => supervisor.terminate()));
      const lastError = this.stats().export.lastError;
      const target = this.options.exporters.includes('otlp') ? ` (exporting to ${shownEndpoint(this.options.otlp.endpoint)})` : '';
      throw new Error(
        `ringmeter: shutdown did not finish within ${timeoutMillis} ms${target}; left behind: ${left.inRing} records in the rings and their overflow, ${left.aggregated} aggregated records not exported${lastError === undefined ? '' : `; the last export error: ${lastError}`}`,
      );
    }
    const reasons = result.flatMap((settled) => (settled.status === 'rejected' ? [errorText(settled.reason)] : []));
    if (reasons.length > 0) throw new Error(reasons.join('; '));
  }

  /**
   * The exit report's line (exit-report.ts) for a process exiting before shutdown(): how many records were never
   * exported (undefined if none, or if no exporter would have sent them: prometheus and none keep nothing to send).
   */
  unexportedAtExit(): string | undefined {
    const { exporters } = this.options;
    if (!exporters.includes('otlp') && !exporters.includes('console')) return undefined;
    const left = this.leftover();
    const records = left.inRing + left.aggregated;
    if (records === 0) return undefined;
    return `ringmeter: ${records} records were recorded but never exported: the process exited without collector.shutdown() (await it on the way out, or pass handleSignals: true)`;
  }

  /** Records not yet exported: still in the rings or their overflow, and aggregated by workers but not accepted by the backend. */
  private leftover(): { inRing: number; aggregated: number } {
    let inRing = 0;
    let aggregated = 0;
    for (const ring of this.rings) {
      inRing += ring.used + ring.spill.pending;
      const header = ring.header;
      aggregated += ((header.readIndex - header.exportedReadIndex) >>> 0) + ((header.spillRecordsRead - header.exportedSpillRecords) >>> 0);
    }
    return { inRing, aggregated };
  }

  private ringOf(tenant: number): RingWriter {
    const rings = this.rings;
    return rings.length === 1 ? rings[0] : rings[tenant % rings.length];
  }
}

function workerConfig(options: ResolvedOptions, shard: number, stringTableEntries: number): WorkerConfig {
  const resource: WorkerConfig['resource'] = {
    ...options.resourceAttributes,
    'service.name': options.serviceName,
    'service.instance.id': options.serviceInstanceId,
    ...SDK_INFO,
    'telemetry.distro.name': 'ringmeter',
    'telemetry.distro.version': VERSION,
  };
  // With several shards each is its own writer of the series without a tenant label (sizes, pool gauges, self
  // metrics): the shard attribute keeps those series distinct, as OpenTelemetry's single-writer rule asks.
  if (options.workers > 1) resource['ringmeter.shard'] = shard;
  return {
    shard,
    shards: options.workers,
    ringCapacity: options.ringCapacity,
    stringTableEntries,
    tenantSlots: options.maxTenants,
    resource,
    maxSeries: Math.ceil(options.maxSeries / options.workers),
    maxMemoryBytes: Math.floor(options.maxMemoryBytes / options.workers),
    seriesIdleMillis: options.seriesIdleMillis,
    slowQueryMillis: options.slowQueryMillis,
    ...liveWorkerSettings(options),
    activity: { ...options.activity },
    tenantRetentionMillis: options.tenantRetentionMillis,
    testHooks: options.testHooks,
  };
}

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

function connectivityStats(state: ConnectivityState | undefined): CollectorStats['export']['connectivity'] {
  return state === undefined ? undefined : { status: state.status, checkedAtMillis: state.checkedAtMillis, error: state.error };
}
