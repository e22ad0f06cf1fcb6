import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { type Clock, type ClockTimer, SYSTEM_CLOCK } from '../contract/clock.js';
import type { RingHeader } from '../contract/ring-header.js';
import type { RingWriter } from '../ring/ring-writer.js';
import type { SpillSegment } from '../ring/spill.js';
import type { TestHookMessage, TestHookReply, WorkerMemory } from '../contract/test-hooks.js';
import type { ShardAnalytics, TenantSelection } from '../contract/analytics.js';
import { unexpectedMessage, type MainToWorker, type ShardRender, type StartShardTask, type WorkerToMain } from '../contract/protocol.js';
import { errorMessage } from '../secrets/redact.js';
import type { LiveWorkerSettings, WorkerConfig } from '../contract/worker-config.js';
import type { TenantSlots } from '../strings/tenant-slots.js';
import { TenantHandshake } from './tenant-handshake.js';
import { ReadLane, type ReadLaneHost } from './read-lane.js';
import { ProgressWatch } from './progress-watch.js';
import { restartDelayMillis } from './restart-backoff.js';

/** The compiled worker entry, next to this file's compiled tree (dist/src/supervisor → dist/workers). */
const WORKER_FILE = new URL('../../workers/shard-worker.js', import.meta.url).href;
/** Export durations kept for the p50/p99 of GET /otel/performance. */
const EXPORT_DURATIONS_KEPT = 64;
/**
 * The worker's V8 young generation, at most (MiB). Its state lives in typed arrays and a few objects per tenant,
 * charged to maxMemoryBytes; what it allocates beyond is short-lived (an export's data points). Left at V8's
 * default, an export of 10,000 series grew the young generation's semi-spaces to their 16 MiB maximum and kept
 * them: the worker's heap held ~23 MiB more than it used after a full GC. With 8 MiB it holds ~4 MiB more
 * (docs/architecture.md, "Memory accounting").
 */
const WORKER_YOUNG_GENERATION_MB = 8;

/** The connectivity check of a configured endpoint, as the main thread last heard of it. */
export interface ConnectivityState {
  /** Which check (they are numbered per shard); a late answer to an older one is ignored. */
  checkId: number;
  status: 'pending' | 'reachable' | 'unreachable';
  checkedAtMillis: number | undefined;
  /** Why it failed, redacted. */
  error: string | undefined;
  /** Whether an export succeeded after the result came: it proves the endpoint works, whatever the check said. */
  exportedSince: boolean;
}

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Runs one shard's worker in its own single-thread piscina pool and keeps it running: a worker that exits, throws
 * or stops making progress (its heartbeat stands still for `workerHangMillis`) is replaced, the replacement resumes
 * from the ring's READ_INDEX, and the records the dead worker had aggregated but not exported are counted as lost.
 *
 * One pool per shard pins each shard to its own thread: the start task returns at once (the shard lives on in the
 * worker's event loop), so a shared pool would see idle workers and could start two shards on one thread.
 */
export class ShardSupervisor {
  private readonly pool: Piscina;
  private port: MessagePort | undefined;
  private threadId = -1;
  private ready: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private restarts = 0;
  private lostTotal = 0;
  private possiblyDeliveredTotal = 0;
  /**
   * READ_INDEX and SPILL_RECORDS_READ up to which losses were already counted, so that two deaths in a row never
   * count a record twice.
   */
  private lostThrough: { ring: number; spill: number };
  private readonly progress: ProgressWatch;
  private hangTimer: ClockTimer | undefined;
  private watching = true;
  private lastExportError: string | undefined;
  private exportFailing = false;
  private rejectedPointsTotal = 0;
  private droppedPointsTotal = 0;
  private seen = { dropped: 0 };
  /** When each kind of loss was last noticed (ms since the epoch), for health(). */
  readonly incidents: Partial<Record<'ringFull' | 'workerLoss' | 'workerDiedExporting' | 'exportRejected', number>> = {};
  /** Read-only questions (GET /metrics renders, analytics), each kind one at a time in the worker (read-lane.ts). */
  private readonly readLaneHost: ReadLaneHost = {
    post: (message) => {
      if (this.port === undefined) return false;
      this.post(message);
      return true;
    },
    nextId: () => this.nextId++,
    busyChanged: () => this.holdPortWhileAwaited(),
  };
  private readonly renderLane = new ReadLane<ShardRender>(this.readLaneHost);
  private readonly analyticsLane = new ReadLane<ShardAnalytics>(this.readLaneHost);
  /** Test hook: the worker's memory measurement (measureMemory). */
  private readonly memoryLane = new ReadLane<WorkerMemory>(this.readLaneHost);
  /** The last export's end (ms since the epoch) and outcome; undefined before the first. */
  lastExportAtMillis: number | undefined;
  lastExportOk: boolean | undefined;
  /** Exports settled (OTLP or not), by outcome: counted from the messages that set lastExport*, so they agree. */
  readonly exportsSettled = { ok: 0, failed: 0 };
  /** Durations of the last exports that sent something, oldest first, at most EXPORT_DURATIONS_KEPT. */
  readonly exportDurationsMillis: number[] = [];
  private attemptsSeen = 0;
  /** The connectivity check of the endpoint the last configure() set (shard 0 runs it); undefined before any. */
  connectivity: ConnectivityState | undefined;
  private checks = 0;
  /** Tenant retention's main-thread steps for this shard; undefined without tenant slots. */
  private readonly tenants: TenantHandshake | undefined;

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
  ) {
    this.tenants = tenantSlots === undefined ? undefined : new TenantHandshake(shard, ring, tenantSlots);
    this.progress = new ProgressWatch(workerHangMillis, clock.nowMillis());
    this.pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Infinity,
      // The default 'sync' mode parks an idle worker in Atomics.wait, which would freeze the shard's timers.
      atomics: 'disabled',
      // The worker reads no environment: every setting arrives in its config (read once, on this thread).
      env: {},
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    // Without a listener, an error thrown in the worker after its start task returned would crash the host.
    this.pool.on('error', () => {});
    this.lostThrough = { ring: this.header().exportedReadIndex, spill: this.header().exportedSpillRecords };
    ring.onSpillSealed((segment) => this.sendSpill(segment));
    this.ready = this.launch();
    this.watchProgress();
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

  get restartCount(): number {
    return this.restarts;
  }

  get lostRecords(): number {
    return this.lostTotal;
  }

  /** Records whose export was out when their worker died: the backend may have them (never counted as lost). */
  get possiblyDeliveredRecords(): number {
    return this.possiblyDeliveredTotal;
  }

  get lastError(): string | undefined {
    return this.lastExportError;
  }

  /** Whether the last export failed (its data is pending, or was dropped if the backend refused it for good). */
  get failing(): boolean {
    return this.exportFailing;
  }

  /** Data points the backend refused in partial successes. */
  get rejectedPoints(): number {
    return this.rejectedPointsTotal;
  }

  /** Data points dropped with batches the backend refused for good. */
  get droppedPoints(): number {
    return this.droppedPointsTotal;
  }

  /**
   * Resolves once everything published before the call has been exported; rejects saying why not. The export may
   * take `timeoutMillis`: a Retry-After that ends within it is waited out, one that ends later makes it reject.
   */
  flush(timeoutMillis: number): Promise<void> {
    return this.request({ type: 'flush', id: 0, timeoutMillis });
  }

  /** Exports what is left within `deadlineMillis` (ms since the epoch), then stops the worker and its pool. */
  async shutdown(deadlineMillis: number): Promise<void> {
    this.stopWatching();
    try {
      await this.request({ type: 'shutdown', id: 0, deadlineMillis });
    } finally {
      await this.terminate();
    }
  }

  /** Stops the worker at once, whatever it is doing (a shutdown past its deadline). */
  async terminate(): Promise<void> {
    this.stopWatching();
    this.closing = true;
    await this.pool.destroy();
  }

  /**
   * New live settings (configure(): export settings, exporters, metric families), in effect once the worker
   * answers. The config is updated first: a worker that dies before it answers is replaced by one that starts with
   * them, which is as good as an answer. With `check`, the worker tests the new endpoint afterwards;
   * `connectivity` shows `pending` until it reports.
   */
  async configure(settings: LiveWorkerSettings, check: boolean): Promise<void> {
    this.config = { ...this.config, ...settings };
    const checkId = check ? ++this.checks : undefined;
    if (checkId !== undefined) {
      this.connectivity = { checkId, status: 'pending', checkedAtMillis: undefined, error: undefined, exportedSince: false };
    }
    try {
      await this.request({ type: 'configure', id: 0, settings, checkId });
    } catch (error) {
      if (this.closing) throw error;
      // The worker died before it answered: its replacement was launched with this.config, so the change holds;
      // asking it again (a no-op for settings it already has) runs the connectivity check the dead one owed.
      if (checkId !== undefined) await this.request({ type: 'configure', id: 0, settings, checkId }).catch(() => {});
    }
  }

  /** configure(): a new workerHangMillis, used from the next look at the heartbeat. */
  setHangMillis(hangMillis: number): void {
    this.progress.hangMillis = hangMillis;
  }

  /** Whether a worker is running now (false while one is being replaced, or after shutdown). */
  get running(): boolean {
    return this.port !== undefined && !this.closing;
  }

  /** Test hook: drain at most `recordsPerPass` records per drain pass (undefined: no limit). */
  async throttle(recordsPerPass: number | undefined): Promise<void> {
    await this.request({ type: 'testThrottle', id: 0, recordsPerPass });
  }

  /** Test hook: keep the worker from obeying tenantsForget (or obey the kept ones now). */
  async holdTenantForgets(held: boolean): Promise<void> {
    await this.request({ type: 'testHoldTenantForgets', id: 0, held });
  }

  /** Slots of this shard retired and not yet freed (tenant retention). */
  get tenantsInHandshake(): number {
    return this.tenants?.inHandshake ?? 0;
  }

  /** Test hook: make the worker hang in a loop (the hang detector must replace it). */
  async hang(): Promise<void> {
    await this.ready;
    this.post({ type: 'testHang' });
  }

  /** Test hook: stop or restart draining (the ring fills while paused). */
  async setPaused(paused: boolean): Promise<void> {
    await this.request({ type: 'testPause', id: 0, paused });
  }

  /** Test hook: terminate the worker as if it had crashed. */
  async kill(): Promise<void> {
    await this.ready;
    const exited = new Promise<void>((resolve) => this.port?.once('close', () => resolve()));
    await this.terminateWorker();
    await exited;
    await this.ready;
  }

  /**
   * This shard's series for GET /metrics, rendered in the worker (exposition.ts). Waits for a replacement if the
   * worker is down; rejects if the worker dies before it answers, or when `signal` aborts (the render stops).
   * Callers share renders above (Recorder.scrape); deadlines are theirs.
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

  /** Test hook: the worker's own memory after a full GC, and what its budget accounts (test-hooks.ts). */
  measureMemory(timeoutMillis: number): Promise<WorkerMemory> {
    // A read like any other (one at a time, rejected if the worker dies), given up after `timeoutMillis`.
    return this.memoryLane.read((id) => ({ type: 'testMeasureMemory', id }) as unknown as MainToWorker, AbortSignal.timeout(timeoutMillis));
  }

  /** Whether this shard's worker has a render to answer now (for a scrape's timeout message). */
  get rendering(): boolean {
    return this.renderLane.busy;
  }

  /** Renders sent to the worker and renders it stopped because every caller gave up, since creation. */
  get renderCounts(): { sent: number; cancelled: number } {
    return { ...this.renderLane.counts };
  }

  /** While an answer is awaited the port keeps the process alive (`await collector.flush()` at the end of a script). */
  private holdPortWhileAwaited(): void {
    if (this.pending.size > 0 || this.renderLane.busy || this.analyticsLane.busy || this.memoryLane.busy) this.port?.ref();
    else this.port?.unref();
  }

  private async request(
    message: Extract<MainToWorker, { type: 'flush' | 'shutdown' | 'configure' }> | Exclude<TestHookMessage, { type: 'testHang' }>,
  ): Promise<void> {
    // The worker may have died since `ready` resolved: wait for its replacement.
    while (this.port === undefined) await this.ready;
    const id = this.nextId++;
    const port = this.port;
    // The overflow's open segment goes first: messages arrive in order, so the worker reads it before the request.
    this.ring.spill.seal();
    // While an answer is awaited the port keeps the process alive, so that `await collector.flush()` at the end
    // of a script completes; otherwise it must not (see launch()).
    port.ref();
    try {
      await new Promise<void>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.post({ ...message, id });
      });
    } finally {
      if (this.pending.size === 0 && !this.renderLane.busy && !this.analyticsLane.busy && !this.memoryLane.busy) port.unref();
    }
  }

  private post(message: MainToWorker | TestHookMessage): void {
    this.port?.postMessage(message);
  }

  /**
   * Hands a sealed overflow segment to the worker. The buffer is shared, not copied or transferred: the segment
   * stays in the overflow until the worker reports it read, so that a replacement worker can be sent it again.
   * Without a worker now, launch() sends it.
   */
  private sendSpill(segment: SpillSegment): void {
    this.post({ type: 'spill', seq: segment.seq, buffer: segment.buffer, records: segment.records });
  }

  private async launch(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const task: StartShardTask = { shard: this.shard, ring: this.ring.buffer, strings: this.strings, port: port2, config: this.config };
    port1.on('message', (message: WorkerToMain | TestHookReply) => this.handle(message));
    port1.once('close', () => this.onWorkerExit(port1));
    // The port must not keep the host process alive; the worker's own timers do not either (see shard-worker.ts).
    port1.unref();
    this.port = port1;
    this.progress.launched(this.clock.nowMillis(), this.header().heartbeat);
    // Segments a dead worker never read (or that were sealed while there was none), before any new one.
    for (const segment of this.ring.spill.unreadSegments()) this.sendSpill(segment);
    // Slots a dead worker was told to forget and never reported: the replacement is told again (it may have
    // state for them from records still in the ring), so they never stay retiring for good.
    this.postIf(this.tenants?.forReplacement());
    // Reads that waited for a worker (asked while none ran, or left by a dead one's exit).
    this.renderLane.workerReady();
    this.analyticsLane.workerReady();
    this.memoryLane.workerReady();
    try {
      this.threadId = await this.pool.run(task, { transferList: [port2 as TransferListItem] });
    } catch (error) {
      // The start task failed (the thread may live on): close our end, so that onWorkerExit schedules the next
      // attempt, with back-off.
      this.lastExportError = `worker failed to start: ${errorMessage(error)}`;
      port1.close();
    }
  }

  private handle(message: WorkerToMain | TestHookReply): void {
    switch (message.type) {
      case 'flushed':
      case 'configured':
      case 'testHookDone':
      case 'stopped': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.type === 'stopped' && message.reason !== undefined) {
          pending?.reject(new Error(`ringmeter: shard ${this.shard} stopped, but its last export failed: ${message.reason}`));
        } else {
          pending?.resolve();
        }
        return;
      }
      case 'flushFailed': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        pending?.reject(new Error(`ringmeter: export failed: ${message.reason}`));
        return;
      }
      case 'exported':
        this.onExported(message);
        return;
      case 'rendered': {
        const { families, readIndex, spillRecordsRead } = message;
        this.renderLane.answered(message.id, { families, readIndex, spillRecordsRead });
        return;
      }
      case 'readCancelled':
        if (!this.renderLane.answered(message.id, undefined)) this.analyticsLane.answered(message.id, undefined);
        return;
      case 'testMemory':
        this.memoryLane.answered(message.id, message);
        return;
      case 'connectivity':
        // Only the check of the latest configure() counts: an older one tested an endpoint no longer in use.
        if (this.connectivity?.checkId !== message.checkId) return;
        this.connectivity = {
          checkId: message.checkId,
          status: message.ok ? 'reachable' : 'unreachable',
          checkedAtMillis: this.clock.nowMillis(),
          error: message.error,
          exportedSince: false,
        };
        return;
      case 'analyzed':
        this.analyticsLane.answered(message.id, message.result);
        return;
      case 'tenantsIdle':
        this.postIf(this.tenants?.onIdle(message));
        return;
      case 'tenantsForgotten':
        this.postIf(this.tenants?.onForgotten(message));
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

  private onExported(message: Extract<WorkerToMain, { type: 'exported' }>): void {
    this.postIf(this.tenants?.release());
    const now = this.clock.nowMillis();
    this.exportFailing = !message.ok;
    // Only after the check's answer: the hand-over export to the old endpoint comes before it and proves nothing.
    if (message.ok && this.connectivity !== undefined && this.connectivity.status !== 'pending') this.connectivity.exportedSince = true;
    if (!message.ok) this.lastExportError = message.error;
    // A partial success is no failure (health() says degraded), but its refusal is the last error the backend gave.
    else if (message.refusal !== undefined) this.lastExportError = message.refusal;
    this.rejectedPointsTotal += message.rejectedPoints;
    this.droppedPointsTotal += message.droppedPoints;
    if (message.rejectedPoints + message.droppedPoints > 0) this.incidents.exportRejected = now;
    // Drops and refusals are noticed here, once per export, so that the record path never reads a clock.
    if (this.ring.dropped > this.seen.dropped) this.incidents.ringFull = now;
    this.seen = { dropped: this.ring.dropped };
    this.lastExportAtMillis = now;
    this.lastExportOk = message.ok;
    if (message.ok) this.exportsSettled.ok++;
    else this.exportsSettled.failed++;
    // Only an export that sent a request has a duration (one waiting out a Retry-After sends none).
    const attempts = this.header().exportAttempts;
    if (attempts !== this.attemptsSeen) {
      this.attemptsSeen = attempts;
      this.exportDurationsMillis.push(this.header().lastExportMicros / 1000);
      if (this.exportDurationsMillis.length > EXPORT_DURATIONS_KEPT) this.exportDurationsMillis.shift();
    }
  }

  private onWorkerExit(port: MessagePort): void {
    if (port !== this.port) return;
    this.port = undefined;
    const { lost, possiblyDelivered } = this.countLoss();
    const inFlight = possiblyDelivered > 0 ? `, ${possiblyDelivered} possibly delivered (their export was in flight)` : '';
    for (const [, pending] of this.pending) {
      pending.reject(
        new Error(
          `ringmeter: the worker of shard ${this.shard} exited before it answered; ${lost} aggregated records were lost${inFlight}`,
        ),
      );
    }
    this.pending.clear();
    const readLost = new Error(`ringmeter: the worker of shard ${this.shard} exited before it answered a read (render or analytics)`);
    this.renderLane.workerExited(readLost);
    this.analyticsLane.workerExited(readLost);
    this.memoryLane.workerExited(readLost);
    if (this.closing) return;
    const delay = restartDelayMillis(this.restarts);
    this.restarts++;
    // The replacement exports the count (the baseline lives in the header, so none is counted twice).
    this.header().setRestarts(this.restarts);
    const deadThread = this.threadId;
    this.ready = (async () => {
      await this.sleep(delay);
      // piscina removes a dead thread asynchronously; a task sent before that would land on the dying thread.
      for (let waited = 0; waited < 2_000 && this.pool.threads.some((t) => t.threadId === deadThread); waited += 10) await this.sleep(10);
      await this.launch();
    })();
  }

  /**
   * Records the dead worker had consumed (from the ring and the overflow) but not exported: only its memory held
   * them. Those an export of it had on the way (below the in-flight positions it published before sending) are
   * possibly delivered: the backend may have taken them, so they are counted apart, never as lost.
   */
  private countLoss(): { lost: number; possiblyDelivered: number } {
    const header = this.header();
    const ring = unexportedSince(this.lostThrough.ring, header.exportedReadIndex, header.inFlightReadIndex, header.readIndex);
    const spill = unexportedSince(
      this.lostThrough.spill,
      header.exportedSpillRecords,
      header.inFlightSpillRecords,
      header.spillRecordsRead,
    );
    this.lostThrough = { ring: header.readIndex, spill: header.spillRecordsRead };
    const lost = ring.lost + spill.lost;
    const possiblyDelivered = ring.inFlight + spill.inFlight;
    const now = this.clock.nowMillis();
    if (lost > 0) {
      this.lostTotal += lost;
      this.incidents.workerLoss = now;
      header.setLost(this.lostTotal);
    }
    if (possiblyDelivered > 0) {
      this.possiblyDeliveredTotal += possiblyDelivered;
      this.incidents.workerDiedExporting = now;
      header.setPossiblyDelivered(this.possiblyDeliveredTotal);
    }
    return { lost, possiblyDelivered };
  }

  private checkProgress(): void {
    const now = this.clock.nowMillis();
    this.ring.spill.trimIdle(now);
    if (this.port === undefined) return;
    this.postIf(this.tenants?.release());
    const stalledMillis = this.progress.check(this.header().heartbeat, now);
    if (stalledMillis !== undefined) {
      this.lastExportError = `worker of shard ${this.shard} made no progress for ${stalledMillis} ms and was replaced`;
      void this.terminateWorker();
    }
  }

  /** A wait that never keeps the process alive. */
  private sleep(millis: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, millis).unref());
  }

  private async terminateWorker(): Promise<void> {
    const worker = this.pool.threads.find((thread) => thread.threadId === this.threadId);
    await worker?.terminate();
  }

  private header(): RingHeader {
    return this.ring.header;
  }
}

/**
 * Records read up to `read` and not covered by the last export, nor by a loss already counted (`countedThrough`):
 * those below `inFlight` (what an export on the way covered) and the rest. Positions are free-running 32-bit
 * counters, compared by their difference.
 */
function unexportedSince(countedThrough: number, exported: number, inFlight: number, read: number): { inFlight: number; lost: number } {
  const from = ((countedThrough - exported) | 0) > 0 ? countedThrough : exported;
  const unexported = (read - from) >>> 0;
  const sent = ((inFlight - from) | 0) > 0 ? Math.min((inFlight - from) >>> 0, unexported) : 0;
  return { inFlight: sent, lost: unexported - sent };
}
