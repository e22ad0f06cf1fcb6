import type { MessagePort } from 'node:worker_threads';
import { type Clock, type ClockTimer, SYSTEM_CLOCK, sleep } from '../src/contract/clock.js';
import { KIND_HTTP, KIND_QUERY, KIND_RUNTIME, KIND_TENANT_USAGE, KIND_TRANSACTION, tagKind } from '../src/contract/codes.js';
import { RECORD_WORDS, TENANT } from '../src/contract/ring-layout.js';
import { TENANT_ID_BASE } from '../src/contract/strings-layout.js';
import { RingHeader } from '../src/contract/ring-header.js';
import { RingReader } from '../src/ring/ring-reader.js';
import { SpillReader } from '../src/ring/spill-reader.js';
import { FoldMerge } from './fold-merge.js';
import type { TestHookCall } from '../src/contract/test-hooks.js';
import { obeyTestHook, type TestHookTarget } from './test-hooks.js';
import { unexpectedMessage, type MainToWorker, type StartShardTask, type WorkerToMain } from '../src/contract/protocol.js';
import { VERSION } from '../src/contract/version.js';
import type { MetricFamilyText } from '../src/contract/protocol.js';
import type { LiveWorkerSettings, WorkerConfig } from '../src/contract/worker-config.js';
import { settingsChange } from './live-settings.js';
import { DbAggregator } from './aggregation/db-aggregator.js';
import { HttpAggregator } from './aggregation/http-aggregator.js';
import { MemoryBudget } from './memory-budget.js';
import { RuntimeAggregator } from './aggregation/runtime-aggregator.js';
import { UsageAggregator } from './aggregation/usage-aggregator.js';
import { Dictionary } from './dictionary.js';
import { RecordCheck } from './record-check.js';
import { type ForgetOutcome, TenantForgetting } from './tenant-forgetting.js';
import { type Batch, Collection } from './export/collection.js';
import { consoleSummary } from './export/console-summary.js';
import { CumulativeTotals } from './export/cumulative-totals.js';
import { checkConnectivity } from './export/connectivity-check.js';
import { OtlpSender } from './export/otlp-sender.js';
import { retryClock } from './export/retrying-transport.js';
import { SelfMetrics } from './export/self-metrics.js';
import { TenantProfiles } from './tenants/tenant-profiles.js';
import { ADMISSION_HEADROOM_SHARE, TenantAdmission } from './tenants/tenant-admission.js';
import { idleDrainCapMillis, MAX_DRAIN_INTERVAL_MILLIS, nextDrainDelayMillis } from './drain-pacing.js';
import { type OpenedRender, RenderQueue } from './render-queue.js';

/** Records per drain slice; between slices the worker yields so that exports and control messages get a turn. */
const DRAIN_SLICE = 65_536;
const SCOPE = { name: 'ringmeter', version: VERSION };

export type ExportOutcome = { ok: true } | { ok: false; reason: string };

/** A family's chunks, as a transfer list (each chunk has a buffer of its own: TextEncoder made it). */
function transferable(family: MetricFamilyText): ArrayBuffer[] {
  return family.samples.map((chunk) => chunk.buffer as ArrayBuffer);
}

/** An export waiting for the running one to finish, and the latest deadline of those who asked for it. */
interface PlannedExport {
  deadlineMillis: number;
  /**
   * A hand-over to an endpoint configure() is leaving: a batch it refuses for good is kept pending for the new
   * settings rather than dropped, as for a retryable failure; a revoked key (401) must not cost the window.
   */
  handOver: boolean;
  outcome: Promise<ExportOutcome>;
}

/**
 * One shard's worker: drains its ring into the aggregators, exports on a timer and on request. It is the only
 * reader of its ring and the only writer of its series (records are sharded by tenant), so nothing here locks.
 */
export class Shard implements TestHookTarget {
  private readonly header: RingHeader;
  private readonly ring: RingReader;
  private readonly spill: SpillReader;
  private readonly budget: MemoryBudget;
  /** The record dispatch, bound once: the ring and the overflow feed the same aggregators. */
  private readonly sink = (words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number) =>
    this.consume(words, floats, slot, nowMillis);
  /** Refuses, at drain time, a record naming what nothing can resolve (record-check.ts). */
  private readonly check: RecordCheck;
  private readonly http: HttpAggregator;
  private readonly db: DbAggregator;
  private readonly usage: UsageAggregator;
  /**
   * Tenant retention's single forget point: every store keyed by tenant is listed once here. Per-tenant state
   * elsewhere (the analytics profiles) registers with `tenantForgetting.register(...)`.
   */
  readonly tenantForgetting: TenantForgetting;
  /**
   * Tenant retention: when each tenant slot's last record was aggregated (ms on the shard's clock; 0: no state
   * here). One store per record; the idle scan after each export reads it (docs/design/tenant-retention.md).
   */
  private readonly tenantLastSeen: Float64Array;
  /** Tenants the main thread retired while they still had data pending: forgotten after the export that settles it. */
  private readonly forgetAfterExport = new Set<number>();
  private readonly runtime: RuntimeAggregator;
  /** Per-tenant analytics (workers/tenants), read by `analytics` messages; never exported state. */
  readonly profiles: TenantProfiles;
  /** Which client-chosen tenants get state of their own; the others are folded into `__overflow__`. */
  private readonly admission: TenantAdmission;
  private readonly self: SelfMetrics;
  /** Replaced by configure() between two exports, never during one (see reconfigure). */
  private sender: OtlpSender;
  private readonly port: MessagePort;
  /** The test hooks' port: only a worker of a collector made for tests has one (src/contract/test-hooks.ts). */
  private readonly testPort: MessagePort | undefined;
  private readonly config: WorkerConfig;
  private readonly clock: Clock;
  private drainTimer: ClockTimer | undefined;
  /** When the last drain pass ran (clock ms): with its record count, the rate that paces the next (drain-pacing.ts). */
  private lastDrainMillis = 0;
  private exportTimer: ClockTimer | undefined;
  private paused = false;
  private stopped = false;
  private running: Promise<ExportOutcome> | undefined;
  /** No export before this time (ms since the epoch): the backend's last Retry-After. */
  private notBeforeMillis = 0;
  /** Test hook: at most this many records per drain pass. */
  private drainLimit = DRAIN_SLICE;
  /** Test hook: tenantsForget messages kept instead of obeyed (undefined: obeyed at once). */
  private heldForgets: number[][] | undefined;
  private queued: PlannedExport | undefined;
  /**
   * Whether the last OTLP request of these settings was accepted (undefined: none sent yet). configure() hands the
   * window over to the endpoint it leaves only if so: a failing endpoint (often the reason for the change) would
   * keep or refuse it, when the new one can take it.
   */
  private lastOtlpAccepted: boolean | undefined;
  /** Accepted totals since start, for GET /metrics (cumulative-totals.ts); fed after each batch.commit(). */
  private readonly totals: CumulativeTotals;
  /** GET /metrics renders, one at a time, in slices between which exports and drains run. */
  private readonly renders = new RenderQueue(
    () => this.openRender(),
    (id, render) => {
      if (render === undefined) this.post({ type: 'readCancelled', id });
      // The chunks are transferred, not copied: a render of tens of megabytes crosses in no time.
      else this.port.postMessage({ type: 'rendered', id, ...render } satisfies WorkerToMain, render.families.flatMap(transferable));
    },
    () => this.running !== undefined,
  );

  /** `clock` drives every wait of the shard (drain passes, the export timer, Retry-After, retries). */
  constructor(task: StartShardTask, clock: Clock = SYSTEM_CLOCK) {
    const { config } = task;
    const now = clock.nowMillis();
    this.clock = clock;
    this.config = config;
    this.port = task.port;
    this.testPort = task.testPort;
    this.header = new RingHeader(task.ring);
    this.ring = new RingReader(task.ring, config.ringCapacity, this.header);
    // A fold block is merged by replaying its entries through the same sink (fold-merge.ts).
    const folds = new FoldMerge();
    this.spill = new SpillReader(this.header, (buffer, entries, sink, now, beat) => folds.merge(buffer, entries, sink, now, beat));
    // One budget for everything this worker keeps per tenant, route, table or series (memory-budget.ts).
    const budget = MemoryBudget.forShard(config.maxMemoryBytes);
    this.budget = budget;
    const dictionary = new Dictionary(task.strings, config.stringTableEntries, config.tenantSlots, budget);
    this.check = new RecordCheck(dictionary, config.shard, config.shards);
    this.tenantLastSeen = new Float64Array(config.tenantSlots);
    const common = {
      maxSeries: config.maxSeries,
      budget,
      nowMillis: now,
      idleMillis: config.seriesIdleMillis,
      histogramAggregation: config.otlp.histogramAggregation,
    };
    this.http = new HttpAggregator(dictionary, { ...common, tenantMetrics: config.metrics.tenant });
    this.db = new DbAggregator(dictionary, common);
    this.usage = new UsageAggregator(dictionary, config.maxSeries, budget, now, config.seriesIdleMillis);
    this.runtime = new RuntimeAggregator(config.maxSeries, budget, now, config.seriesIdleMillis);
    this.profiles = new TenantProfiles(dictionary, config.shard, config.activity, now, config.slowQueryMillis / 1000, budget);
    const headroomBytes = Math.floor(budget.limitBytes * ADMISSION_HEADROOM_SHARE);
    this.admission = new TenantAdmission(config.tenantSlots, budget, (id, nowMillis) =>
      this.profiles.admit(id, nowMillis, headroomBytes, dictionary.tenantLabelBytes(id)),
    );
    this.totals = new CumulativeTotals(budget.totals);
    this.self = new SelfMetrics(this.header, config.shard, now);
    const { http, db, usage } = this;
    this.tenantForgetting = new TenantForgetting([
      // Key words: requests (tag, route, tenant), durations (tag, route, tenant), tenant rows (tenant, category).
      { store: http.requests, tenantWord: 2 },
      { store: http.durations, tenantWord: 2 },
      { store: http.tenants, tenantWord: 0 },
      // queries (tag, tenant), durations (type, table, tenant), transactions (status, tenant).
      { store: db.queries, tenantWord: 1 },
      { store: db.durations, tenantWord: 2 },
      { store: db.transactions, tenantWord: 1 },
      // usage (resource, data type, tenant).
      { store: usage.usage, tenantWord: 2 },
    ]);
    // Profiles are analytics, never pending export data: they go with the tenant's series, never hold it back.
    this.tenantForgetting.register((tenants) => this.profiles.forgetIds(tenants));
    // GET /metrics totals: by label value, read before the main thread may give the slot to another tenant. A
    // folded tenant has none (its records are `__overflow__`'s), and its label is never decoded.
    this.tenantForgetting.register((tenants) =>
      this.totals.forgetTenants([...tenants].filter((id) => this.admission.isAdmitted(id)).map((id) => dictionary.label(id))),
    );
    // Last: a tenant that returns is decided afresh, and its slot's label decoded again.
    this.tenantForgetting.register((tenants) => {
      this.admission.forget(tenants);
      for (const id of tenants) dictionary.forgetTenant(id);
    });
    this.sender = new OtlpSender(config.otlp, { resource: config.resource, scope: SCOPE }, retryClock(clock));
  }

  /**
   * Forgets these tenants' state unless some of it is still unexported (those are kept, whole). Call between
   * drain passes, after draining: see docs/design/tenant-retention.md for the handshake around it.
   */
  forgetTenants(ids: readonly number[]): ForgetOutcome {
    return this.tenantForgetting.forget(ids);
  }

  start(): void {
    this.port.on('message', (message: MainToWorker) => this.handle(message));
    this.testPort?.on('message', (message: TestHookCall) => {
      const reply = obeyTestHook(this, message);
      if (reply !== undefined) this.testPort?.postMessage(reply);
    });
    this.lastDrainMillis = this.clock.nowMillis();
    this.scheduleDrain(MAX_DRAIN_INTERVAL_MILLIS);
    this.scheduleExport();
  }

  /** The export timer: one timeout re-armed each time (a clock has no intervals), never waiting for the export. */
  private scheduleExport(): void {
    this.exportTimer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      this.scheduleExport();
      void this.requestExport(this.clock.nowMillis() + this.config.otlp.timeoutMillis);
    }, this.config.otlp.exportIntervalMillis);
  }

  /** Consumes up to `limit` records, from the ring first, then whole overflow segments; returns how many. */
  drain(limit: number): number {
    // Every pass is progress, the export's and a flush's too: a worker that answers a flush has beaten.
    this.header.beat();
    const now = this.clock.nowMillis();
    const fromRing = this.ring.drain(limit, this.sink, now);
    const consumed = fromRing + this.spill.drain(limit - fromRing, this.sink, now);
    this.publishMemory();
    return consumed;
  }

  /**
   * Aggregates one record. A record the worker cannot use (an unknown kind or code, an id that resolves to nothing,
   * an implausible value: record-check.ts) is skipped and counted, never thrown: a replacement worker resumes at
   * the same slot, so a throw here would crash-loop, and one at the next export would lose every tenant's data.
   */
  private consume(words: Uint32Array, floats: Float64Array, slot: number, now: number): boolean {
    if (!this.check.usable(words, floats, slot)) return false;
    let tenant = words[slot * RECORD_WORDS + TENANT];
    const tenantSlot = tenant - TENANT_ID_BASE;
    if (tenantSlot >= 0) {
      this.tenantLastSeen[tenantSlot] = now;
      // A client-chosen tenant: its own id once admitted, `__overflow__` while folded (tenant-admission.ts).
      tenant = this.admission.tenantOf(tenantSlot, tenant, now);
    }
    switch (tagKind(words[slot * RECORD_WORDS])) {
      case KIND_HTTP:
        this.http.consume(words, floats, slot, now, tenant);
        this.profiles.consumeHttp(words, floats, slot, now, tenant);
        return true;
      case KIND_QUERY:
        this.db.consumeQuery(words, floats, slot, now, tenant);
        this.profiles.consumeQuery(words, floats, slot, now, tenant);
        return true;
      case KIND_TRANSACTION:
        this.db.consumeTransaction(words, slot, now, tenant);
        return true;
      case KIND_TENANT_USAGE:
        this.usage.consume(words, floats, slot, now, tenant);
        this.profiles.consumeUsage(words, floats, slot, now, tenant);
        return true;
      case KIND_RUNTIME:
        this.runtime.consume(words, floats, slot, now);
        return true;
      default:
        return false;
    }
  }

  /** Drains everything published when called (a worker throttled by the test hook: one limited pass). */
  drainAll(): void {
    while (!this.paused && this.drain(this.drainLimit) >= DRAIN_SLICE);
  }

  /**
   * Starts an export, or joins the one already waiting: at most one runs and one waits, however often the timer
   * fires or flushes arrive while the backend is slow. A waiting export starts after the running one, so it
   * carries every record published before it was requested. `deadlineMillis` (ms since the epoch) bounds how long
   * the export may wait for a Retry-After and retry; an export joined by several callers keeps the latest deadline.
   */
  requestExport(deadlineMillis: number, handOver = false): Promise<ExportOutcome> {
    const queued = this.queued;
    if (queued !== undefined) {
      queued.deadlineMillis = Math.max(queued.deadlineMillis, deadlineMillis);
      queued.handOver ||= handOver;
      return queued.outcome;
    }
    const running = this.running;
    if (running === undefined) return this.startExport({ deadlineMillis, handOver });
    const next: PlannedExport = { deadlineMillis, handOver, outcome: undefined as unknown as Promise<ExportOutcome> };
    next.outcome = running.then(() => {
      this.queued = undefined;
      return this.startExport(next);
    });
    this.queued = next;
    return next.outcome;
  }

  private startExport(plan: Pick<PlannedExport, 'deadlineMillis' | 'handOver'>): Promise<ExportOutcome> {
    const run = this.runExport(plan).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async runExport(plan: Pick<PlannedExport, 'deadlineMillis' | 'handOver'>): Promise<ExportOutcome> {
    this.drainAll();
    const waitMillis = this.notBeforeMillis - this.clock.nowMillis();
    if (waitMillis > 0) {
      if (this.notBeforeMillis >= plan.deadlineMillis) {
        // The backend asked us to wait (Retry-After) past this export's deadline: everything stays pending until then.
        const reason = `the backend at ${this.sender.shownUrl} asked to retry after ${Math.ceil(waitMillis / 1000)} s (Retry-After); data is kept until then`;
        this.reportExported({ ok: false, error: reason });
        return { ok: false, reason };
      }
      // The wait ends within the deadline: wait it out (draining goes on meanwhile), then export what came meanwhile too.
      await sleep(this.clock, waitMillis);
      this.drainAll();
    }
    const started = performance.now();
    const collection = new Collection(this.config.otlp.batchSize, this.clock.nowMillis(), () => {
      if (!this.paused) this.drain(this.drainLimit);
    });
    // One interval per export, closed whichever metric families are on: the analytics answers use it too.
    this.profiles.closeInterval(collection.endMillis);
    this.collectFamilies(collection);
    this.self.setOverflowed('http', this.http.overflowed);
    this.self.setOverflowed('db', this.db.overflowed);
    this.self.setOverflowed('tenant', this.usage.usage.overflowed);
    this.self.setSqlTextsOverflowed(this.db.sqlTextsOverflowed);
    this.self.setFolded(this.admission.foldedTotal, this.recordsFolded);
    // What this export's data covers: published before its first request, for the loss count if the worker dies.
    const covers = { readIndex: this.ring.readIndex, spillRecords: this.header.spillRecordsRead };
    this.self.collect(collection, covers.readIndex, covers.spillRecords);
    this.publishSeriesCount();

    const failures: string[] = [];
    // OTLP partial successes: the request was accepted, so they are no failure (health: degraded, not failing), but
    // a flush still says that not everything it asked for was taken.
    const refusals: string[] = [];
    let rejectedPoints = 0;
    let droppedPoints = 0;
    let possiblyDuplicatedPoints = 0;
    const batches = collection.batches;
    if (!this.config.exporters.includes('otlp')) return this.settleUnsent(batches, collection.endMillis);
    // Batches whose fate is known (accepted or refused for good), for the console: a retried one is shown when it settles.
    const settled: Batch[] = [];
    this.header.setInFlight(covers.readIndex, covers.spillRecords);
    try {
      for (let i = 0; i < batches.length; i++) {
        const batch = batches[i];
        const requestStarted = performance.now();
        const deadlineMillis = Math.min(this.clock.nowMillis() + this.config.otlp.timeoutMillis, plan.deadlineMillis);
        const result = await this.sender.send(batch, deadlineMillis);
        this.lastOtlpAccepted = result.outcome === 'accepted';
        const seconds = (performance.now() - requestStarted) / 1000;
        this.header.addExportAttempts(result.attempts);
        // A request that timed out after going out whole may have been taken: its data goes again (in a retry that
        // was accepted, or with the next export), and the backend may then hold it twice. Counted, never silent.
        if (result.timedOutAfterSending && result.outcome !== 'rejected') possiblyDuplicatedPoints += batch.size;
        if (result.outcome === 'accepted') {
          batch.commit();
          this.totals.absorb(batch);
          settled.push(batch);
          this.header.addExportSucceeded();
          // An OTLP partial success: the refused points are final, never resent, and counted as failed.
          this.self.recordExport(batch.size - result.rejectedPoints, seconds, undefined);
          if (result.rejectedPoints > 0) {
            this.self.recordExport(result.rejectedPoints, 0, 'rejected');
            rejectedPoints += result.rejectedPoints;
            refusals.push(
              `the backend at ${this.sender.shownUrl} rejected ${result.rejectedPoints} data points${result.rejection ? `: ${result.rejection}` : ''}`,
            );
          }
          continue;
        }
        this.header.addExportFailed();
        this.self.recordExport(batch.size, seconds, result.errorType);
        if (result.outcome === 'rejected' && !plan.handOver) {
          // Refused for good (400 and the like): resending would fail the same way, so the batch is dropped,
          // counted, and the next batches still go.
          batch.commit();
          this.totals.absorb(batch);
          settled.push(batch);
          droppedPoints += batch.size;
          failures.push(`${result.error}; ${batch.size} data points dropped`);
          continue;
        }
        // Retryable, or refused for good by the endpoint a hand-over leaves: this batch and the rest stay pending and
        // go with the next export (under the new settings, for a hand-over), not before Retry-After.
        for (let j = i; j < batches.length; j++) batches[j].abort();
        if (result.outcome === 'retryable' && result.retryAfterMillis !== undefined)
          this.notBeforeMillis = this.clock.nowMillis() + result.retryAfterMillis;
        failures.push(result.outcome === 'rejected' ? `${result.error}; kept for the new export settings` : result.error);
        break;
      }
    } finally {
      // Nothing out any more; the exported baselines have moved if the batch carrying them was accepted.
      this.header.setInFlight(this.header.exportedReadIndex, this.header.exportedSpillRecords);
    }
    // Nothing settled (the first batch is to be retried): nothing to show yet; it is shown when it settles.
    if (this.config.exporters.includes('console') && settled.length > 0) this.printConsole(settled, collection.endMillis);
    this.header.setLastExportMicros((performance.now() - started) * 1000);
    this.header.setOverflowed(this.http.overflowed + this.db.overflowed + this.usage.usage.overflowed);
    this.afterExportSettled();
    this.reportExported(
      {
        ok: failures.length === 0,
        error: failures.length === 0 ? undefined : failures.join('; '),
        refusal: refusals.length === 0 ? undefined : refusals.join('; '),
      },
      rejectedPoints,
      droppedPoints,
      possiblyDuplicatedPoints,
    );
    const problems = [...failures, ...refusals];
    return problems.length === 0 ? { ok: true } : { ok: false, reason: problems.join('; ') };
  }

  /**
   * Settles an interval without OTLP (exporters console, prometheus or none): nothing can fail, so every batch is
   * committed at once (after the console has shown it) and moves into the totals GET /metrics serves. The export
   * counters in stats() count OTLP requests only and stay as they are; `exported` still reports the interval, so
   * health() and the staleness check see a pipeline that keeps up.
   */
  private settleUnsent(batches: readonly Batch[], endMillis: number): ExportOutcome {
    if (this.config.exporters.includes('console')) this.printConsole(batches, endMillis);
    for (const batch of batches) {
      batch.commit();
      this.totals.absorb(batch);
    }
    this.header.setOverflowed(this.http.overflowed + this.db.overflowed + this.usage.usage.overflowed);
    this.afterExportSettled();
    this.reportExported({ ok: true });
    return { ok: true };
  }

  /**
   * Tenant retention after an export has settled what it could: forgets the retired tenants that were kept for
   * their pending data and no longer have any, then proposes the tenants idle for tenantRetentionMillis with
   * nothing pending (step 1 of docs/design/tenant-retention.md). Synchronous: no record is aggregated meanwhile,
   * so the proposal's readIndex covers exactly the records the idle times were read from.
   */
  private afterExportSettled(): void {
    if (this.forgetAfterExport.size > 0) this.forgetRetired([...this.forgetAfterExport]);
    const proposal = this.idleTenants(this.clock.nowMillis());
    if (proposal.length > 0) {
      this.post({
        type: 'tenantsIdle',
        ids: proposal,
        readIndex: this.ring.readIndex >>> 0,
        spillSegmentsRead: this.header.spillSegmentsRead >>> 0,
      });
    }
  }

  /** This shard's tenants with no record for tenantRetentionMillis and nothing pending (ids as in records). */
  idleTenants(nowMillis: number): number[] {
    const lastSeen = this.tenantLastSeen;
    const retention = this.config.tenantRetentionMillis;
    const candidates = new Set<number>();
    // Only this shard's slots: a tenant's records all go to shard (TENANT_ID_BASE + slot) % shards.
    const { shard, shards } = this.config;
    const first = (((shard - (TENANT_ID_BASE % shards)) % shards) + shards) % shards;
    for (let slot = first; slot < lastSeen.length; slot += shards) {
      const seen = lastSeen[slot];
      if (seen === 0 || nowMillis - seen < retention) continue;
      const id = TENANT_ID_BASE + slot;
      if (!this.forgetAfterExport.has(id)) candidates.add(id);
    }
    if (candidates.size === 0) return [];
    const pending = this.tenantForgetting.pendingAmong(candidates);
    return [...candidates].filter((id) => !pending.has(id));
  }

  /**
   * Step 3: the main thread retired these tenants. Everything published is drained first, so that any record of
   * theirs written before the retirement is aggregated; a tenant with pending data is kept whole until an export
   * settles it. Reports what it forgot.
   */
  forgetRetired(ids: readonly number[]): void {
    this.drainAll();
    const outcome = this.forgetTenants(ids);
    for (const id of outcome.kept) this.forgetAfterExport.add(id);
    for (const id of outcome.forgotten) {
      this.forgetAfterExport.delete(id);
      this.tenantLastSeen[id - TENANT_ID_BASE] = 0;
    }
    // What they held is given back now, not at the next drain pass.
    if (outcome.forgotten.length > 0) this.publishMemory();
    if (outcome.forgotten.length > 0) this.post({ type: 'tenantsForgotten', ids: outcome.forgotten, readIndex: this.ring.readIndex >>> 0 });
  }

  /** The console exporter: the main thread writes the text to stdout (protocol.ts). */
  private printConsole(batches: readonly Batch[], endMillis: number): void {
    this.post({ type: 'console', text: consoleSummary(batches, endMillis, this.config.shards > 1 ? this.config.shard : undefined) });
  }

  /**
   * Every family's pending deltas, whatever its switch says: a family switched off writes no new record, and what
   * it recorded before must not be stranded. Its gauges only while it is on, so that the last values of a family
   * switched off are not repeated at every export.
   */
  private collectFamilies(collection: Collection): void {
    const families = this.config.metrics;
    this.http.collect(collection);
    this.db.collect(collection, families.db);
    this.usage.collect(collection);
    // The tenant gauges (activity pattern, cost share, anomaly) of the last closed interval: gauges stop with their
    // family, as the pool and runtime ones do.
    if (families.tenant) this.profiles.collect(collection);
    this.runtime.collect(collection, families.runtime);
  }

  /** What the budget holds and what it did to tenants, for the main thread (stats(), the overflow's room). */
  private publishMemory(): void {
    // The overflow sizes itself by what the worker's state leaves of the shard's memory bound.
    this.header.setSeriesBytes(this.budget.used);
    this.header.setTenants(this.admission.admitted, this.admission.folded, this.recordsFolded);
  }

  /**
   * Records aggregated under `__overflow__` because of the memory bound: every record of a folded tenant, and each
   * record of an admitted one whose own count series (request, query, transaction, usage) did not fit.
   */
  private get recordsFolded(): number {
    return this.admission.foldedRecords + this.http.folded + this.db.folded + this.usage.usage.folded;
  }

  private publishSeriesCount(): void {
    this.header.setSeries(this.http.seriesCount + this.db.seriesCount + this.usage.seriesCount);
  }

  private scheduleDrain(delayMillis: number): void {
    if (this.stopped) return;
    this.drainTimer = this.clock.setTimeout(() => this.drainTick(), delayMillis);
  }

  private drainTick(): void {
    let consumed = 0;
    // A paused worker (a test hook) still beats: it is alive, only told not to drain.
    if (this.paused) this.header.beat();
    else consumed = this.drain(this.drainLimit);
    const now = this.clock.nowMillis();
    const elapsedMillis = now - this.lastDrainMillis;
    this.lastDrainMillis = now;
    // A full slice means more is waiting: come back at once (after any pending message or timer); else sleep for
    // as long as the ring, at this pass's rate, stays a quarter full.
    this.scheduleDrain(
      nextDrainDelayMillis(
        consumed,
        elapsedMillis,
        this.config.ringCapacity,
        !this.paused && consumed >= DRAIN_SLICE,
        idleDrainCapMillis(this.config.workerHangMillis),
      ),
    );
  }

  private handle(message: MainToWorker): void {
    switch (message.type) {
      case 'flush':
        void this.requestExport(this.clock.nowMillis() + message.timeoutMillis).then((outcome) => {
          this.post(outcome.ok ? { type: 'flushed', id: message.id } : { type: 'flushFailed', id: message.id, reason: outcome.reason });
        });
        return;
      case 'spill':
        // Read on the next drain pass (at once if none is due soon), in order with the ring's records.
        this.spill.enqueue(message.seq, message.buffer, message.records, message.foldEntries);
        return;
      case 'shutdown':
        void this.stop(message.id, message.deadlineMillis);
        return;
      case 'render':
        this.renders.request(message.id);
        return;
      case 'cancelRead':
        // An analytics read is answered as soon as it arrives: only a render can still be running or waiting.
        this.renders.cancel(message.id);
        return;
      case 'configure':
        void this.reconfigure(message.settings).then(() => {
          this.post({ type: 'configured', id: message.id });
          if (message.checkId !== undefined) void this.reportConnectivity(message.checkId, message.settings.otlp);
        });
        return;
      case 'tenantsForget':
        if (this.heldForgets !== undefined) this.heldForgets.push(message.ids);
        else this.forgetRetired(message.ids);
        return;
      case 'tenantCreated':
        this.profiles.setCreated(message.id, message.tenant, message.createdMillis);
        return;
      case 'analytics':
        // Read-only: drains what is published so the answer is current, touches no export state.
        this.drainAll();
        this.post({ type: 'analyzed', id: message.id, result: this.profiles.analytics(message.selection, this.clock.nowMillis()) });
        return;
      default:
        unexpectedMessage(message);
    }
  }

  /**
   * Opens a render of this shard's series, cumulative since start (GET /metrics). It collects what is pending
   * exactly as an export would and aborts the collection at once, so that every settlement gives back what
   * collecting took: synchronous, so no export settles in between. The text is then made in slices over that
   * snapshot and the accepted totals, which stay frozen until the render closes (cumulative-totals.ts). A batch
   * in flight is pending in the snapshot and moves to the accepted totals after the render: counted once either way.
   */
  private openRender(): OpenedRender {
    this.drainAll();
    const collection = new Collection(Number.MAX_SAFE_INTEGER, this.clock.nowMillis());
    // The last closed interval's gauges; rendering closes nothing.
    this.collectFamilies(collection);
    this.self.collect(collection, this.ring.readIndex, this.header.spillRecordsRead);
    for (const batch of collection.batches) batch.abort();
    return {
      view: this.totals.openRender(collection.batches, this.config.shards > 1 ? `ringmeter_shard="${this.config.shard}"` : ''),
      readIndex: this.ring.readIndex >>> 0,
      spillRecordsRead: this.header.spillRecordsRead >>> 0,
    };
  }

  /**
   * Applies new live settings (configure()): export settings, exporters, metric families. A change that ends the
   * export window (target, interval, exporters, families: live-settings.ts) first exports what was aggregated,
   * under the old settings, so that each window goes where it was meant to go; what that export cannot deliver
   * stays pending and goes out under the new settings, and so does what the endpoint being left refuses for good
   * (a hand-over export). When the data would leave for another destination (a new target, or otlp dropped) and
   * the last OTLP request of the old settings was not accepted, there is no hand-over: the window is carried over
   * whole, rather than sent to an endpoint known to fail. The settings are swapped only while no export runs: one
   * started meanwhile (a flush, the timer) also went out under the old settings, which is what its caller asked for.
   */
  async reconfigure(settings: LiveWorkerSettings): Promise<void> {
    if (this.stopped) return;
    // The settings now: the fields below are replaced, never mutated, so this keeps the old ones.
    const old: LiveWorkerSettings = {
      otlp: this.config.otlp,
      exporters: this.config.exporters,
      metrics: this.config.metrics,
      workerHangMillis: this.config.workerHangMillis,
    };
    const change = settingsChange(old, settings);
    const leaving = old.exporters.includes('otlp') && (change.target || !settings.exporters.includes('otlp'));
    if (change.closesWindow) {
      // Decide on the freshest outcome: an export in flight now may be the one that shows the old endpoint failing.
      while (this.running !== undefined) await this.running;
      if (this.stopped) return;
      // Leaving: what the old endpoint refuses for good is kept for the new one (see PlannedExport.handOver).
      if (!(leaving && this.lastOtlpAccepted !== true)) await this.requestExport(this.clock.nowMillis() + old.otlp.timeoutMillis, leaving);
    }
    // Wait until no export runs (one may have started since ours ended); from here to the swap nothing awaits.
    while (this.running !== undefined) await this.running;
    if (this.stopped) return;
    // Records published before the change are aggregated under the old families (the tenant rows below).
    this.drainAll();
    this.config.otlp = { ...settings.otlp, headers: { ...settings.otlp.headers } };
    this.config.exporters = [...settings.exporters];
    if (settings.metrics.runtime !== old.metrics.runtime && !settings.metrics.runtime) this.runtime.forgetSamples();
    this.config.metrics = { ...settings.metrics };
    if (settings.workerHangMillis !== this.config.workerHangMillis) {
      // A shorter bound caps the idle sleep lower (drain-pacing.ts): beat now and sleep by the new cap from here.
      this.config.workerHangMillis = settings.workerHangMillis;
      this.clock.clearTimeout(this.drainTimer);
      this.scheduleDrain(0);
    }
    this.http.setTenantMetrics(settings.metrics.tenant);
    if (change.sender) {
      const retired = this.sender;
      this.sender = new OtlpSender(this.config.otlp, { resource: this.config.resource, scope: SCOPE }, retryClock(this.clock));
      void retired.shutdown().catch(() => {});
    }
    if (change.target) {
      // The Retry-After and the last outcome came from the old backend: they say nothing of the new one.
      this.notBeforeMillis = 0;
      this.lastOtlpAccepted = undefined;
    }
    if (change.interval) {
      // A full new interval from now: the export above just closed the old interval's window.
      this.clock.clearTimeout(this.exportTimer);
      this.scheduleExport();
    }
  }

  /** The connectivity check of a configured endpoint, reported to the main thread (never the headers). */
  private async reportConnectivity(checkId: number, otlp: WorkerConfig['otlp']): Promise<void> {
    const result = await checkConnectivity(otlp);
    if (this.stopped) return;
    this.post(result.ok ? { type: 'connectivity', checkId, ok: true } : { type: 'connectivity', checkId, ok: false, error: result.error });
  }

  /** Test hook (test-hooks.ts): stop or restart draining. */
  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  /** Test hook (test-hooks.ts): keep tenantsForget messages unobeyed, or obey the kept ones now. */
  holdTenantForgets(held: boolean): void {
    const kept = this.heldForgets;
    this.heldForgets = held ? (kept ?? []) : undefined;
    if (!held && kept !== undefined) for (const ids of kept) this.forgetRetired(ids);
  }

  /** Test hook (test-hooks.ts): what the memory budget accounts. */
  budgetBytes(): { used: number; limit: number } {
    return { used: this.budget.used, limit: this.budget.limitBytes };
  }

  /** Test hook (test-hooks.ts): at most this many records per drain pass. */
  setDrainLimit(recordsPerPass: number | undefined): void {
    this.drainLimit = recordsPerPass ?? DRAIN_SLICE;
  }

  private async stop(id: number, deadlineMillis: number): Promise<void> {
    this.paused = false;
    const outcome = await this.requestExport(deadlineMillis);
    this.stopped = true;
    this.renders.stop();
    this.clock.clearTimeout(this.drainTimer);
    this.clock.clearTimeout(this.exportTimer);
    await this.sender.shutdown().catch(() => {});
    this.post(outcome.ok ? { type: 'stopped', id } : { type: 'stopped', id, reason: outcome.reason });
    this.port.close();
  }

  /** An export settled: its counts go to the header first (stats() reads them there), then the main thread is told. */
  private reportExported(
    outcome: { ok: boolean; error?: string; refusal?: string },
    rejectedPoints = 0,
    droppedPoints = 0,
    possiblyDuplicatedPoints = 0,
  ): void {
    this.header.addExportSettled(outcome.ok, rejectedPoints, droppedPoints, possiblyDuplicatedPoints);
    this.post({ type: 'exported', ...outcome });
  }

  private post(message: WorkerToMain): void {
    this.port.postMessage(message);
  }
}
