import type { Clock, ClockTimer } from '../../src/contract/clock.js';

export type ExportOutcome = { ok: true } | { ok: false; reason: string };

/** What one export run is asked: how long it may take, and whether it hands the window over. */
export interface ExportPlan {
  /** Ms since the epoch: bounds how long the export may wait for a Retry-After and retry. */
  deadlineMillis: number;
  /**
   * A hand-over to an endpoint configure() is leaving: a batch it refuses for good is kept pending for the new
   * settings rather than dropped, as for a retryable failure; a revoked key (401) must not cost the window.
   */
  handOver: boolean;
}

/** An export waiting for the running one to finish, and the latest deadline of those who asked for it. */
interface PlannedExport extends ExportPlan {
  outcome: Promise<ExportOutcome>;
}

/** The export settings the planning reads at each use (configure() may replace them). */
export interface ExportTiming {
  exportIntervalMillis: number;
  timeoutMillis: number;
}

/**
 * When the shard collects and exports: on its timer, on a flush, at shutdown, before a configure() swaps settings.
 * At most one export runs and one waits, however often the timer fires or flushes arrive while the backend is slow.
 */
export class ExportPlanning {
  private timer: ClockTimer | undefined;
  private running: Promise<ExportOutcome> | undefined;
  private queued: PlannedExport | undefined;
  /** Set once by the shard's shutdown: no timer fires, no reconfigure applies after it. */
  stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly timing: () => ExportTiming,
    /** One export run (export-run.ts). */
    private readonly run: (plan: ExportPlan) => Promise<ExportOutcome>,
  ) {}

  /** Whether an export is running now (a render then works at a slower pace: render-queue.ts). */
  get exporting(): boolean {
    return this.running !== undefined;
  }

  /** The export timer: one timeout re-armed each time (a clock has no intervals), never waiting for the export. */
  startTimer(): void {
    this.timer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      this.startTimer();
      void this.request(this.clock.nowMillis() + this.timing().timeoutMillis);
    }, this.timing().exportIntervalMillis);
  }

  /** A full new interval from now (the export interval changed). */
  restartTimer(): void {
    this.clock.clearTimeout(this.timer);
    this.startTimer();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  /** Resolves once no export runs (one may have started while the last one ran). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /**
   * Starts an export, or joins the one already waiting. A waiting export starts after the running one, so it
   * carries every record published before it was requested; an export joined by several callers keeps the latest
   * deadline, and hands over if any of them asked it to.
   */
  request(deadlineMillis: number, handOver = false): Promise<ExportOutcome> {
    const queued = this.queued;
    if (queued !== undefined) {
      queued.deadlineMillis = Math.max(queued.deadlineMillis, deadlineMillis);
      queued.handOver ||= handOver;
      return queued.outcome;
    }
    const running = this.running;
    if (running === undefined) return this.start({ deadlineMillis, handOver });
    const next: PlannedExport = { deadlineMillis, handOver, outcome: undefined as unknown as Promise<ExportOutcome> };
    next.outcome = running.then(() => {
      this.queued = undefined;
      return this.start(next);
    });
    this.queued = next;
    return next.outcome;
  }

  private start(plan: ExportPlan): Promise<ExportOutcome> {
    const run = this.run({ deadlineMillis: plan.deadlineMillis, handOver: plan.handOver }).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
