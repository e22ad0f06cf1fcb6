import type { MessagePort } from 'node:worker_threads';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  EXPORT_ATTEMPTS,
  EXPORT_FAILED,
  EXPORT_SUCCEEDED,
  HEADER_BYTES,
  HEADER_SLOTS,
  HEARTBEAT,
  KIND_HTTP,
  KIND_QUERY,
  KIND_RUNTIME,
  KIND_TENANT_USAGE,
  KIND_TRANSACTION,
  LAST_EXPORT_MICROS,
  OVERFLOWED,
  READ_INDEX,
  RECORD_WORDS,
  SERIES,
  WRITE_INDEX,
} from '../src/ring/layout.js';
import { unexpectedMessage, type MainToWorker, type StartShardTask, type WorkerToMain } from '../src/protocol.js';
import { VERSION } from '../src/version.js';
import type { WorkerConfig } from '../src/worker-config.js';
import { DbAggregator } from './aggregation/db-aggregator.js';
import { HttpAggregator } from './aggregation/http-aggregator.js';
import { MemoryBudget } from './aggregation/memory-budget.js';
import { RuntimeAggregator } from './aggregation/runtime-aggregator.js';
import { UsageAggregator } from './aggregation/usage-aggregator.js';
import { Dictionary } from './dictionary.js';
import { Collection } from './export/collection.js';
import { OtlpSender } from './export/otlp-sender.js';
import { SelfMetrics } from './export/self-metrics.js';

/** Time between drain passes when the ring was nearly empty. */
const DRAIN_INTERVAL_MILLIS = 10;
/** Records per drain slice; between slices the worker yields so that exports and control messages get a turn. */
const DRAIN_SLICE = 65_536;
const SCOPE = { name: 'ringmeter', version: VERSION };

export type ExportOutcome = { ok: true } | { ok: false; reason: string };

/** An export waiting for the running one to finish, and the latest deadline of those who asked for it. */
interface PlannedExport {
  deadlineMillis: number;
  outcome: Promise<ExportOutcome>;
}

/**
 * One shard's worker: drains its ring into the aggregators, exports on a timer and on request. It is the only
 * reader of its ring and the only writer of its series (records are sharded by tenant), so nothing here locks.
 */
export class Shard {
  private readonly header: Int32Array;
  private readonly words: Uint32Array;
  private readonly floats: Float64Array;
  private readonly mask: number;
  private readIndex: number;
  private readonly http: HttpAggregator;
  private readonly db: DbAggregator;
  private readonly usage: UsageAggregator;
  private readonly runtime: RuntimeAggregator;
  private readonly self: SelfMetrics;
  private readonly sender: OtlpSender;
  private readonly resource: Resource;
  private readonly port: MessagePort;
  private readonly config: WorkerConfig;
  private drainTimer: NodeJS.Timeout | undefined;
  private exportTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopped = false;
  private running: Promise<ExportOutcome> | undefined;
  /** No export before this time (ms since the epoch): the backend's last Retry-After. */
  private notBeforeMillis = 0;
  /** Test hook: at most this many records per drain pass. */
  private drainLimit = DRAIN_SLICE;
  private queued: PlannedExport | undefined;

  constructor(task: StartShardTask, now = Date.now()) {
    const { config } = task;
    this.config = config;
    this.port = task.port;
    this.header = new Int32Array(task.ring, 0, HEADER_SLOTS);
    this.words = new Uint32Array(task.ring, HEADER_BYTES);
    this.floats = new Float64Array(task.ring, HEADER_BYTES);
    this.mask = config.ringCapacity - 1;
    // A replacement worker resumes where its predecessor stopped: records it had not consumed are still here.
    this.readIndex = Atomics.load(this.header, READ_INDEX);
    const dictionary = new Dictionary(task.strings, config.stringTableEntries);
    const budget = new MemoryBudget(config.maxMemoryBytes);
    const common = { maxSeries: config.maxSeries, budget, nowMillis: now, idleMillis: config.seriesIdleMillis };
    this.http = new HttpAggregator(dictionary, { ...common, tenantMetrics: config.families.tenant });
    this.db = new DbAggregator(dictionary, common);
    this.usage = new UsageAggregator(dictionary, config.maxSeries, budget, now, config.seriesIdleMillis);
    this.runtime = new RuntimeAggregator(config.maxSeries, budget, now, config.seriesIdleMillis);
    this.self = new SelfMetrics(this.header, config.shard, now);
    this.sender = new OtlpSender(config.otlp);
    this.resource = resourceFromAttributes(config.resource);
  }

  start(): void {
    this.port.on('message', (message: MainToWorker) => this.handle(message));
    this.scheduleDrain(DRAIN_INTERVAL_MILLIS);
    this.exportTimer = setInterval(
      () => void this.requestExport(Date.now() + this.config.otlp.timeoutMillis),
      this.config.otlp.exportIntervalMillis,
    );
  }

  /** Consumes up to `limit` published records; returns how many. */
  drain(limit: number): number {
    const write = Atomics.load(this.header, WRITE_INDEX);
    const { words, floats, mask } = this;
    const now = Date.now();
    let read = this.readIndex;
    let consumed = 0;
    while (read !== write && consumed < limit) {
      const slot = read & mask;
      switch (words[slot * RECORD_WORDS] & 0xff) {
        case KIND_HTTP:
          this.http.consume(words, floats, slot, now);
          break;
        case KIND_QUERY:
          this.db.consumeQuery(words, floats, slot, now);
          break;
        case KIND_TRANSACTION:
          this.db.consumeTransaction(words, slot, now);
          break;
        case KIND_TENANT_USAGE:
          this.usage.consume(words, floats, slot, now);
          break;
        case KIND_RUNTIME:
          this.runtime.consume(words, floats, slot, now);
          break;
        default:
          throw new RangeError(`ring slot ${slot} holds no record kind (${words[slot * RECORD_WORDS]}): ring layout mismatch`);
      }
      read = (read + 1) | 0;
      consumed++;
    }
    this.readIndex = read;
    // Only now may the main thread reuse the slots we read (see layout.ts).
    Atomics.store(this.header, READ_INDEX, read);
    return consumed;
  }

  /** Drains everything published when called (a worker throttled by the test hook: one limited pass). */
  drainAll(): void {
    while (!this.paused && this.drain(this.drainLimit) === DRAIN_SLICE);
  }

  /**
   * Starts an export, or joins the one already waiting: at most one runs and one waits, however often the timer
   * fires or flushes arrive while the backend is slow. A waiting export starts after the running one, so it
   * carries every record published before it was requested. `deadlineMillis` (ms since the epoch) bounds how long
   * the export may wait for a Retry-After and retry; an export joined by several callers keeps the latest deadline.
   */
  requestExport(deadlineMillis: number): Promise<ExportOutcome> {
    const queued = this.queued;
    if (queued !== undefined) {
      queued.deadlineMillis = Math.max(queued.deadlineMillis, deadlineMillis);
      return queued.outcome;
    }
    const running = this.running;
    if (running === undefined) return this.startExport({ deadlineMillis });
    const next: PlannedExport = { deadlineMillis, outcome: undefined as unknown as Promise<ExportOutcome> };
    next.outcome = running.then(() => {
      this.queued = undefined;
      return this.startExport(next);
    });
    this.queued = next;
    return next.outcome;
  }

  private startExport(plan: Pick<PlannedExport, 'deadlineMillis'>): Promise<ExportOutcome> {
    const run = this.runExport(plan).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async runExport(plan: Pick<PlannedExport, 'deadlineMillis'>): Promise<ExportOutcome> {
    this.drainAll();
    const waitMillis = this.notBeforeMillis - Date.now();
    if (waitMillis > 0) {
      if (this.notBeforeMillis >= plan.deadlineMillis) {
        // The backend asked us to wait (Retry-After) past this export's deadline: everything stays pending until then.
        const reason = `the backend asked to retry after ${Math.ceil(waitMillis / 1000)} s (Retry-After); data is kept until then`;
        this.post({ type: 'exported', ok: false, error: reason, rejectedPoints: 0, droppedPoints: 0 });
        return { ok: false, reason };
      }
      // The wait ends within the deadline: wait it out (draining goes on meanwhile), then export what came meanwhile too.
      await new Promise((resolve) => setTimeout(resolve, waitMillis));
      this.drainAll();
    }
    const started = performance.now();
    const collection = new Collection(this.config.otlp.batchSize, Date.now(), () => {
      if (!this.paused) this.drain(this.drainLimit);
    });
    if (this.config.families.http) this.http.collect(collection);
    if (this.config.families.db) this.db.collect(collection);
    if (this.config.families.tenant) this.usage.collect(collection);
    if (this.config.families.runtime) this.runtime.collect(collection);
    this.self.setOverflowed('http', this.http.overflowed);
    this.self.setOverflowed('db', this.db.overflowed);
    this.self.setOverflowed('tenant', this.usage.usage.overflowed);
    this.self.setSqlTextsOverflowed(this.db.sqlTextsOverflowed);
    this.self.collect(collection, this.readIndex);
    this.publishSeriesCount();

    const failures: string[] = [];
    let rejectedPoints = 0;
    let droppedPoints = 0;
    const batches = collection.batches;
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i];
      const requestStarted = performance.now();
      const deadlineMillis = Math.min(Date.now() + this.config.otlp.timeoutMillis, plan.deadlineMillis);
      const result = await this.sender.send(batch.toResourceMetrics(this.resource, SCOPE), deadlineMillis);
      const seconds = (performance.now() - requestStarted) / 1000;
      Atomics.add(this.header, EXPORT_ATTEMPTS, result.attempts);
      if (result.outcome === 'accepted') {
        batch.commit();
        Atomics.add(this.header, EXPORT_SUCCEEDED, 1);
        // An OTLP partial success: the refused points are final, never resent, and counted as failed.
        this.self.recordExport(batch.size - result.rejectedPoints, seconds, undefined);
        if (result.rejectedPoints > 0) {
          this.self.recordExport(result.rejectedPoints, 0, 'rejected');
          rejectedPoints += result.rejectedPoints;
          failures.push(`the backend rejected ${result.rejectedPoints} data points${result.rejection ? `: ${result.rejection}` : ''}`);
        }
        continue;
      }
      Atomics.add(this.header, EXPORT_FAILED, 1);
      this.self.recordExport(batch.size, seconds, result.errorType);
      if (result.outcome === 'rejected') {
        // Refused for good (400 and the like): resending would fail the same way, so the batch is dropped,
        // counted, and the next batches still go.
        batch.commit();
        droppedPoints += batch.size;
        failures.push(`${result.error}; ${batch.size} data points dropped`);
        continue;
      }
      // Retryable: this batch and the rest stay pending and go with the next export, not before Retry-After.
      for (let j = i; j < batches.length; j++) batches[j].abort();
      if (result.retryAfterMillis !== undefined) this.notBeforeMillis = Date.now() + result.retryAfterMillis;
      failures.push(result.error);
      break;
    }
    Atomics.store(this.header, LAST_EXPORT_MICROS, Math.min(2 ** 31 - 1, Math.round((performance.now() - started) * 1000)));
    Atomics.store(this.header, OVERFLOWED, (this.http.overflowed + this.db.overflowed + this.usage.usage.overflowed) | 0);
    const reason = failures.join('; ');
    this.post({
      type: 'exported',
      ok: failures.length === 0,
      error: failures.length === 0 ? undefined : reason,
      rejectedPoints,
      droppedPoints,
    });
    return failures.length === 0 ? { ok: true } : { ok: false, reason };
  }

  private publishSeriesCount(): void {
    Atomics.store(this.header, SERIES, this.http.seriesCount + this.db.seriesCount + this.usage.seriesCount);
  }

  private scheduleDrain(delayMillis: number): void {
    if (this.stopped) return;
    this.drainTimer = setTimeout(() => this.drainTick(), delayMillis);
  }

  private drainTick(): void {
    Atomics.add(this.header, HEARTBEAT, 1);
    let consumed = 0;
    if (!this.paused) consumed = this.drain(this.drainLimit);
    // A full slice means more is waiting: come back at once (after any pending message or timer), else rest.
    this.scheduleDrain(consumed === DRAIN_SLICE ? 0 : DRAIN_INTERVAL_MILLIS);
  }

  private handle(message: MainToWorker): void {
    switch (message.type) {
      case 'flush':
        void this.requestExport(Date.now() + message.timeoutMillis).then((outcome) => {
          this.post(outcome.ok ? { type: 'flushed', id: message.id } : { type: 'flushFailed', id: message.id, reason: outcome.reason });
        });
        return;
      case 'shutdown':
        void this.stop(message.id, message.deadlineMillis);
        return;
      case 'throttle':
        this.drainLimit = message.recordsPerPass ?? DRAIN_SLICE;
        return;
      case 'hang':
        // Test hook: a worker stuck in a loop, which only termination ends.
        for (;;);
      case 'pause':
        this.paused = true;
        return;
      case 'resume':
        this.paused = false;
        return;
      default:
        unexpectedMessage(message);
    }
  }

  private async stop(id: number, deadlineMillis: number): Promise<void> {
    this.paused = false;
    const outcome = await this.requestExport(deadlineMillis);
    this.stopped = true;
    clearTimeout(this.drainTimer);
    clearInterval(this.exportTimer);
    await this.sender.shutdown().catch(() => {});
    this.post(outcome.ok ? { type: 'stopped', id } : { type: 'stopped', id, reason: outcome.reason });
    this.port.close();
  }

  private post(message: WorkerToMain): void {
    this.port.postMessage(message);
  }
}
