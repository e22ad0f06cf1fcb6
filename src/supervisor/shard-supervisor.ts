import type { ShardAnalytics, TenantSelection } from '../contract/analytics.js';
import { type Clock, type ClockTimer, SYSTEM_CLOCK } from '../contract/clock.js';
import { type MainToWorker, type ShardRender, type StartShardTask, unexpectedMessage, type WorkerToMain } from '../contract/protocol.js';
import type { RingHeader } from '../contract/ring-header.js';
import { steeredTimeOf } from '../contract/steered-clock.js';
import type { TestHookCall } from '../contract/test-hooks.js';
import type { LiveWorkerSettings, WorkerConfig } from '../contract/worker-config.js';
import type { RingWriter } from '../ring/ring-writer.js';
import type { SpillSegment } from '../ring/spill.js';
import { errorMessage } from '../secrets/redact.js';
import type { TenantSlots } from '../strings/tenant-slots.js';
import { LossCount } from './loss-count.js';
import { ProgressWatch } from './progress-watch.js';
import { ReadCancelled, ReadLane } from './read-lane.js';
import { restartDelayMillis } from './restart-backoff.js';
import { RetentionHandshake } from './retention-handshake.js';
import { ShardStatus } from './shard-status.js';
import { ShardThread } from './shard-thread.js';
import { WorkerCalls } from './worker-calls.js';
import { WorkerLink } from './worker-link.js';

const TEST_HOOKS_OFF = 'ringmeter: test hooks are off; make the collector with createTestCollector (ringmeter/internal)';

/**
 * Runs one shard's worker (shard-thread.ts) and keeps it running. A worker that exits, throws or stops making progress
 * (its heartbeat stands still for `workerHangMillis`) takes one path (workerGone): every call awaiting it fails, what
 * it held is counted as lost or possibly delivered (loss-count.ts), and a replacement starts after a back-off,
 * resuming from the ring's READ_INDEX. Everything asked of the worker is a call (worker-calls.ts), reads one at a
 * time per kind (read-lane.ts), test hooks on a port of their own. Counts live in the ring's header; what only a
 * message says, in ShardStatus.
 */
export class ShardSupervisor {
  /** The creation date told to the worker, per tenant slot id (tenantCreated). */
  private readonly creationDates = new Map<number, MainToWorker>();
  private readonly thread: ShardThread;
  private worker: WorkerLink | undefined;
  /** Settles once a worker runs (again). */
  private ready: Promise<void>;
  private closing = false;
  private readonly calls = new WorkerCalls((awaited) => this.worker?.keepAlive(awaited));
  private readonly renderLane: ReadLane<ShardRender>;
  private readonly analyticsLane: ReadLane<ShardAnalytics>;
  private readonly progress: ProgressWatch;
  private hangTimer: ClockTimer | undefined;
  private watching = true;
  private readonly losses: LossCount;
  readonly status: ShardStatus;
  /** Tenant retention's main-thread steps for this shard; undefined without tenant slots. */
  private readonly retention: RetentionHandshake | undefined;

  constructor(
    private readonly shard: number,
    private readonly ring: RingWriter,
    private readonly strings: SharedArrayBuffer,
    /** The latest settings: configure() updates them, so that a replacement worker starts with what is current. */
    private config: WorkerConfig,
    workerHangMillis: number,
    /** Drives hang detection and the restart back-off; tests pass a simulated one. */
    private readonly clock: Clock = SYSTEM_CLOCK,
    /** The main thread's tenant slots (shared by every shard), for the retention handshake; none without it. */
    tenantSlots?: TenantSlots,
    /** Whether the worker gets a test-hook port (createTestCollector). */
    private readonly testHooks = false,
  ) {
    this.retention = tenantSlots === undefined ? undefined : new RetentionHandshake(shard, ring, tenantSlots);
    this.progress = new ProgressWatch(workerHangMillis, clock.nowMillis());
    this.status = new ShardStatus(ring.header, () => ring.dropped);
    this.losses = new LossCount(ring.header);
    const lanes = {
      call: <T>(message: (id: number) => MainToWorker) => {
        const worker = this.worker;
        return worker === undefined ? undefined : this.calls.call<T>((id) => worker.post(message(id)));
      },
      cancel: (id: number) => this.post({ type: 'cancelRead', id }),
    };
    this.renderLane = new ReadLane<ShardRender>(lanes);
    this.analyticsLane = new ReadLane<ShardAnalytics>(lanes);
    this.thread = new ShardThread((error) => this.threadFailed(error));
    ring.onSpillSealed((segment) => this.sendSpill(segment));
    this.ready = this.launch();
    this.watchProgress();
  }

  private get header(): RingHeader {
    return this.ring.header;
  }

  /** Whether a worker is running now (false while one is being replaced, or after shutdown). */
  get running(): boolean {
    return this.worker !== undefined && !this.closing;
  }

  /**
   * Resolves once everything published before the call has been exported; rejects saying why not. The export may
   * take `timeoutMillis`: a Retry-After that ends within it is waited out, one that ends later makes it reject.
   */
  async flush(timeoutMillis: number): Promise<void> {
    const outcome = await this.request<{ failed?: string }>((id) => ({ type: 'flush', id, timeoutMillis }));
    if (outcome.failed !== undefined) throw new Error(`ringmeter: export failed: ${outcome.failed}`);
  }

  /** Exports what is left within `deadlineMillis` (ms since the epoch), then stops the worker and its pool. */
  async shutdown(deadlineMillis: number): Promise<void> {
    this.stopWatching();
    try {
      const outcome = await this.request<{ failed?: string }>((id) => ({ type: 'shutdown', id, deadlineMillis }));
      if (outcome.failed !== undefined)
        throw new Error(`ringmeter: shard ${this.shard} stopped, but its last export failed: ${outcome.failed}`);
    } finally {
      await this.terminate();
    }
  }

  /** Stops the worker at once, whatever it is doing (a shutdown past its deadline). */
  async terminate(): Promise<void> {
    this.stopWatching();
    this.closing = true;
    await this.thread.destroy();
  }

  /**
   * New live settings (configure(): export settings, exporters, metric families), in effect once the worker
   * answers. The config is updated first: a worker that dies before it answers is replaced by one that starts with
   * them, which is as good as an answer. With `check`, the worker tests the new endpoint afterwards;
   * `connectivity` shows `pending` until it reports.
   */
  async configure(settings: LiveWorkerSettings, check: boolean): Promise<void> {
    this.config = { ...this.config, ...settings };
    const checkId = check ? this.status.checkStarted() : undefined;
    const message = (id: number): MainToWorker => ({ type: 'configure', id, settings, checkId });
    try {
      await this.request(message);
    } catch (error) {
      if (this.closing) throw error;
      // The worker died before it answered: its replacement was launched with this.config, so the change holds;
      // asking it again (a no-op for settings it already has) runs the connectivity check the dead one owed.
      if (checkId !== undefined) await this.request(message).catch(() => {});
    }
  }

  /**
   * Tells the worker when a tenant was created (tenantCreatedAt), kept per slot (at most maxTenants) so a replacement
   * worker, whose profiles start empty, is told again; a stale entry (the slot changed hands) the worker ignores.
   */
  tenantCreated(id: number, tenant: string, createdMillis: number): void {
    const message: MainToWorker = { type: 'tenantCreated', id, tenant, createdMillis };
    this.creationDates.set(id, message);
    this.post(message);
  }

  /**
   * configure(): a new workerHangMillis, used from the next look at the heartbeat. A shorter one counts from now: the
   * worker may be in an idle sleep capped by the old bound (a quarter of it, workers/drain-pacing.ts) until the
   * configure message reaches it.
   */
  setHangMillis(hangMillis: number): void {
    if (hangMillis < this.progress.hangMillis) this.progress.restartCount(this.clock.nowMillis());
    this.progress.hangMillis = hangMillis;
  }

  /**
   * This shard's series for GET /metrics, rendered in the worker (reads/exposition.ts). Waits for a replacement if
   * the worker is down; rejects if the worker dies before it answers, or when `signal` aborts (the render stops).
   * Callers share renders above (reads/reads.ts); deadlines are theirs.
   */
  render(signal?: AbortSignal): Promise<ShardRender> {
    // The open overflow segment goes first (as for flush), so the render counts every record written before the call.
    this.ring.spill.seal();
    return this.renderLane.read((id) => ({ type: 'render', id }), signal);
  }

  /** Where this shard's records stand now: a render covers them once it has drained this far (ShardRender). */
  get recordedPosition(): { writeIndex: number; spilled: number } {
    return { writeIndex: this.ring.position.writeIndex, spilled: this.ring.spill.spilled };
  }

  /** This shard's tenant analytics (contract/analytics.ts), read-only in the worker; rejects like render. */
  analytics(selection: TenantSelection, signal?: AbortSignal): Promise<ShardAnalytics> {
    // The open overflow segment goes first (as for flush), so the answer counts every record written before the call.
    this.ring.spill.seal();
    return this.analyticsLane.read((id) => ({ type: 'analytics', id, selection }), signal);
  }

  /** Whether this shard's worker has a render to answer now (for a scrape's timeout message). */
  get rendering(): boolean {
    return this.renderLane.busy;
  }

  /** Renders sent to the worker and renders it stopped because every caller gave up, since creation. */
  get renderCounts(): { sent: number; cancelled: number } {
    return { ...this.renderLane.counts };
  }

  /** Test hook: a call on the test port (contract/test-hooks.ts); with `signal`, given up when it aborts. */
  async testCall<T = undefined>(message: (id: number) => TestHookCall, signal?: AbortSignal): Promise<T> {
    while (this.worker === undefined) await this.ready;
    const worker = this.worker;
    if (worker.testPort === undefined) throw new Error(TEST_HOOKS_OFF);
    return this.calls.call<T>((id) => worker.postTest(message(id)), signal).answer;
  }

  /** Test hook: make the worker hang in a loop (the hang detector must replace it). Never answered. */
  async hang(): Promise<void> {
    await this.ready;
    if (this.worker?.postTest({ type: 'testHang' }) === false) throw new Error(TEST_HOOKS_OFF);
  }

  /**
   * Test hook: end the worker as if it crashed (`terminate`), or as if its own code threw where nothing catches it
   * (`throw`); resolves once its replacement runs.
   */
  async replaceWorker(how: 'terminate' | 'throw'): Promise<void> {
    await this.ready;
    const worker = this.worker;
    if (worker === undefined) return;
    if (how === 'throw' && !worker.postTest({ type: 'testThrow' })) throw new Error(TEST_HOOKS_OFF);
    if (how === 'terminate') await this.terminateWorker(worker);
    await worker.closed;
    await this.ready;
  }

  /** A call of the running worker, after the overflow's open segment (messages arrive in order: it is read first). */
  private async request<T = undefined>(message: (id: number) => MainToWorker): Promise<T> {
    // The worker may have died since `ready` resolved: wait for its replacement.
    while (this.worker === undefined) await this.ready;
    this.ring.spill.seal();
    const worker = this.worker;
    return this.calls.call<T>((id) => worker.post(message(id))).answer;
  }

  private post(message: MainToWorker): void {
    this.worker?.post(message);
  }

  /**
   * Hands a sealed overflow segment to the worker. The buffer is shared, not copied or transferred: the segment
   * stays in the overflow until the worker reports it read, so that a replacement worker can be sent it again.
   * Without a worker now, launch() sends it.
   */
  private sendSpill(segment: SpillSegment): void {
    this.post({ type: 'spill', seq: segment.seq, buffer: segment.buffer, records: segment.records, foldEntries: segment.foldEntries });
  }

  private async launch(): Promise<void> {
    const worker = new WorkerLink(
      this.testHooks,
      (message) => this.handle(message),
      (reply) => this.calls.settle(reply.id, { ok: true, value: reply.type === 'testMemory' ? reply : undefined }),
    );
    const { port, testPort } = worker.workerEnds;
    const shared = { ring: this.ring.buffer, strings: this.strings, heldSeries: this.ring.spill.heldSeries.buffer };
    const task: StartShardTask = { shard: this.shard, ...shared, port, testPort, testTime: steeredTimeOf(this.clock), config: this.config };
    // The worker's end closes when its thread ends, however it ends.
    void worker.closed.then(() => this.workerGone(worker));
    this.worker = worker;
    this.progress.launched(this.clock.nowMillis(), this.header.heartbeat);
    // Segments a dead worker never read (or that were sealed while there was none), before any new one.
    for (const segment of this.ring.spill.unreadSegments()) this.sendSpill(segment);
    // Slots a dead worker was told to forget and never reported: the replacement is told again (it may have
    // state for them from records still in the ring), so they never stay retiring for good.
    this.postIf(this.retention?.forReplacement());
    for (const message of this.creationDates.values()) this.post(message);
    // Reads that waited for a worker (asked while none ran, or left by a dead one's exit).
    this.renderLane.workerReady();
    this.analyticsLane.workerReady();
    try {
      worker.threadId = await this.thread.start(task, testPort === undefined ? [port] : [port, testPort]);
    } catch (error) {
      // The start task failed (the thread may live on): the same path as any failure, with back-off.
      this.workerGone(worker, `the worker of shard ${this.shard} failed to start: ${errorMessage(error)}`);
    }
  }

  /**
   * The one failure path: the worker exited (its port closed), threw (piscina's 'error'), failed to start, or hung
   * (terminated by the progress watch, which left the reason in `worker.failure`). Runs once per worker. Every call awaiting it fails, its
   * loss is counted, and unless the collector is closing, a replacement starts after the back-off once piscina has
   * removed the dead thread.
   */
  private workerGone(worker: WorkerLink | undefined, failure = worker?.failure): void {
    if (worker === undefined || worker.gone) return;
    worker.gone = true;
    if (this.worker === worker) this.worker = undefined;
    worker.close();
    const now = this.clock.nowMillis();
    const { lost, possiblyDelivered } = this.losses.count();
    this.status.onLoss(lost, possiblyDelivered, now);
    if (failure !== undefined) this.status.onWorkerFailed(failure, now);
    const inFlight = possiblyDelivered > 0 ? `, ${possiblyDelivered} possibly delivered (their export was in flight)` : '';
    this.calls.failAll(
      new Error(`ringmeter: the worker of shard ${this.shard} exited before it answered; ${lost} aggregated records were lost${inFlight}`),
    );
    if (this.closing) return;
    const delay = restartDelayMillis(this.header.restarts);
    // The replacement exports the count (it lives in the header, so none is counted twice).
    this.header.addRestart();
    this.ready = (async () => {
      await this.sleep(delay);
      if (worker.threadId !== undefined) await this.thread.removal(worker.threadId, (millis) => this.sleep(millis));
      if (!this.closing) await this.launch();
    })();
  }

  /**
   * An error thrown in the worker after its start task returned (piscina's 'error'): the shard's own code failed,
   * and the thread ends with it. Said in health() and stats() whichever comes first, this or the port's close.
   */
  private threadFailed(error: unknown): void {
    const failure = `the worker of shard ${this.shard} failed: ${errorMessage(error)}`;
    const worker = this.worker;
    if (worker !== undefined && !worker.gone) this.workerGone(worker, failure);
    // Its exit came first and took the failure path: the error still says why.
    else this.status.onWorkerFailed(failure, this.clock.nowMillis());
  }

  private handle(message: WorkerToMain): void {
    switch (message.type) {
      case 'flushed':
      case 'configured':
        this.calls.settle(message.id, { ok: true, value: {} });
        return;
      case 'flushFailed':
      case 'stopped':
        this.calls.settle(message.id, { ok: true, value: { failed: message.reason } });
        return;
      case 'rendered': {
        const { families, readIndex, spillRecordsRead } = message;
        this.calls.settle(message.id, { ok: true, value: { families, readIndex, spillRecordsRead } });
        return;
      }
      case 'analyzed':
        this.calls.settle(message.id, { ok: true, value: message.result });
        return;
      case 'readCancelled':
        this.calls.settle(message.id, { ok: false, error: new ReadCancelled() });
        return;
      case 'exported':
        this.postIf(this.retention?.release());
        this.status.onExported(message, this.clock.nowMillis());
        return;
      case 'connectivity':
        this.status.onConnectivity(message, this.clock.nowMillis());
        return;
      case 'tenantsIdle':
        this.postIf(this.retention?.onIdle(message));
        return;
      case 'tenantsForgotten':
        this.postIf(this.retention?.onForgotten(message));
        return;
      case 'console':
        // The console exporter's output: one write of whole lines, in the order this shard's worker sent them.
        process.stdout.write(message.text);
        return;
      default:
        unexpectedMessage(message);
    }
  }

  private postIf(message: MainToWorker | undefined): void {
    if (message !== undefined) this.post(message);
  }

  /** The hang check, re-armed after each look; it never keeps the process alive. */
  private watchProgress(): void {
    this.hangTimer = this.clock.setTimeout(() => {
      if (!this.watching) return;
      this.checkProgress();
      this.watchProgress();
    }, this.progress.pollMillis);
    this.hangTimer.unref();
  }

  private stopWatching(): void {
    this.watching = false;
    this.clock.clearTimeout(this.hangTimer);
  }

  private checkProgress(): void {
    const now = this.clock.nowMillis();
    this.ring.spill.trimIdle(now);
    const worker = this.worker;
    if (worker === undefined) return;
    this.postIf(this.retention?.release());
    const stalledMillis = this.progress.check(this.header.heartbeat, now);
    if (stalledMillis !== undefined) {
      // Said when its port closes: the termination's exit takes the one failure path.
      worker.failure = `worker of shard ${this.shard} made no progress for ${stalledMillis} ms and was replaced`;
      void this.terminateWorker(worker);
    }
  }

  private async terminateWorker(worker: WorkerLink): Promise<void> {
    if (worker.threadId !== undefined) await this.thread.terminate(worker.threadId);
  }

  /** A wait that never keeps the process alive. */
  private sleep(millis: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, millis).unref());
  }
}
