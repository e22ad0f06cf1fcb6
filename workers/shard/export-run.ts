import { type Clock, sleep } from '../../src/contract/clock.js';
import type { RingHeader } from '../../src/contract/ring-header.js';
import type { WorkerToMain } from '../../src/contract/protocol.js';
import { VERSION } from '../../src/contract/version.js';
import type { WorkerConfig } from '../../src/contract/worker-config.js';
import { type Batch, Collection } from '../export/collection.js';
import { consoleSummary } from '../export/console-summary.js';
import type { CumulativeTotals } from '../export/cumulative-totals.js';
import { OtlpSender } from '../export/otlp-sender.js';
import { AttributeEncoder } from '../export/otlp/attributes.js';
import type { SelfMetrics } from '../export/self-metrics.js';
import type { Accumulation } from './accumulation.js';
import type { Drain } from './drain.js';
import type { ExportOutcome, ExportPlan } from './export-planning.js';
import type { TenantRetention } from './tenant-retention.js';

const SCOPE = { name: 'ringmeter', version: VERSION };

/** The counts an export run gathers for its report: what the backend refused, dropped, may hold twice. */
interface RunTally {
  failures: string[];
  /**
   * OTLP partial successes: the request was accepted, so they are no failure (health: degraded, not failing), but a
   * flush still says that not everything it asked for was taken.
   */
  refusals: string[];
  rejectedPoints: number;
  droppedPoints: number;
  possiblyDuplicatedPoints: number;
}

/**
 * One export, run: a collection of the accumulation's data points, each batch through the OTLP sender (a writer,
 * gzip, the retrying transport, the HTTP transport), settled by what the backend answered, then retention's turn.
 * Holds what outlives a run: the sender, the backend's last Retry-After, whether its last request was accepted.
 */
export class ExportRun {
  /** Replaced by configure() between two exports, never during one (reconfigure.ts). */
  private sender: OtlpSender;
  /** No export before this time (ms since the epoch): the backend's last Retry-After. */
  private notBeforeMillis = 0;
  /**
   * Whether the last OTLP request of these settings was accepted (undefined: none sent yet). configure() hands the
   * window over to the endpoint it leaves only if so: a failing endpoint (often the reason for the change) would
   * keep or refuse it, when the new one can take it.
   */
  lastOtlpAccepted: boolean | undefined;

  constructor(
    private readonly config: WorkerConfig,
    private readonly clock: Clock,
    private readonly drain: Drain,
    private readonly accumulation: Accumulation,
    private readonly self: SelfMetrics,
    /** Accepted totals since start, for GET /metrics (cumulative-totals.ts); fed after each batch.commit(). */
    private readonly totals: CumulativeTotals,
    private readonly header: RingHeader,
    private readonly retention: TenantRetention,
    private readonly post: (message: WorkerToMain) => void,
  ) {
    this.sender = this.newSender();
  }

  /** New export settings: a new sender; the old one finishes what it has in hand. */
  replaceSender(): void {
    const retired = this.sender;
    this.sender = this.newSender();
    void retired.shutdown().catch(() => {});
  }

  /** A new target: the Retry-After and the last outcome came from the old backend and say nothing of the new one. */
  forgetTarget(): void {
    this.notBeforeMillis = 0;
    this.lastOtlpAccepted = undefined;
  }

  shutdown(): Promise<void> {
    return this.sender.shutdown().catch(() => {});
  }

  async run(plan: ExportPlan): Promise<ExportOutcome> {
    this.drain.drainAll();
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
      this.drain.drainAll();
    }
    const started = performance.now();
    const collection = new Collection(this.config.otlp.batchSize, this.clock.nowMillis(), () => {
      if (!this.drain.paused) this.drain.pass();
    });
    // One interval per export, closed whichever metric families are on: the analytics answers use it too.
    this.accumulation.profiles.closeInterval(collection.endMillis);
    this.accumulation.collect(collection);
    this.accumulation.reportBounds(this.self);
    // What this export's data covers: published before its first request, for the loss count if the worker dies.
    const covers = { readIndex: this.drain.ring.readIndex, spillRecords: this.header.spillRecordsRead };
    this.self.collect(collection, covers.readIndex, covers.spillRecords);
    this.header.setSeries(this.accumulation.seriesCount);

    const batches = collection.batches;
    if (!this.config.exporters.includes('otlp')) return this.settleUnsent(batches, collection.endMillis);
    const tally: RunTally = { failures: [], refusals: [], rejectedPoints: 0, droppedPoints: 0, possiblyDuplicatedPoints: 0 };
    // Batches whose fate is known (accepted or refused for good), for the console: a retried one is shown when it settles.
    const settled: Batch[] = [];
    // One attribute cache for the export's batches: each distinct label value is encoded once per export.
    const encoder = new AttributeEncoder();
    this.header.setInFlight(covers.readIndex, covers.spillRecords);
    try {
      for (let i = 0; i < batches.length; i++) {
        if (await this.send(batches[i], plan, tally, encoder)) {
          settled.push(batches[i]);
          continue;
        }
        // Retryable, or refused for good by the endpoint a hand-over leaves: this batch and the rest stay pending and
        // go with the next export (under the new settings, for a hand-over), not before Retry-After.
        for (let j = i; j < batches.length; j++) batches[j].abort();
        break;
      }
    } finally {
      // Nothing out any more; the exported baselines have moved if the batch carrying them was accepted.
      this.header.setInFlight(this.header.exportedReadIndex, this.header.exportedSpillRecords);
    }
    // Nothing settled (the first batch is to be retried): nothing to show yet; it is shown when it settles.
    if (this.config.exporters.includes('console') && settled.length > 0) this.printConsole(settled, collection.endMillis);
    this.header.setLastExportMicros((performance.now() - started) * 1000);
    this.afterSettled();
    const { failures, refusals } = tally;
    this.reportExported(
      {
        ok: failures.length === 0,
        error: failures.length === 0 ? undefined : failures.join('; '),
        refusal: refusals.length === 0 ? undefined : refusals.join('; '),
      },
      tally,
    );
    const problems = [...failures, ...refusals];
    return problems.length === 0 ? { ok: true } : { ok: false, reason: problems.join('; ') };
  }

  /**
   * Sends one batch and settles it by the answer; returns whether it settled (accepted, or refused for good and
   * dropped). A batch that did not settle (retryable, or refused by the endpoint a hand-over leaves) is the caller's
   * to abort, with every batch after it.
   */
  private async send(batch: Batch, plan: ExportPlan, tally: RunTally, encoder: AttributeEncoder): Promise<boolean> {
    const requestStarted = performance.now();
    const deadlineMillis = Math.min(this.clock.nowMillis() + this.config.otlp.timeoutMillis, plan.deadlineMillis);
    const result = await this.sender.send(batch, deadlineMillis, encoder);
    this.lastOtlpAccepted = result.outcome === 'accepted';
    const seconds = (performance.now() - requestStarted) / 1000;
    this.header.addExportAttempts(result.attempts);
    // A request that timed out after going out whole may have been taken: its data goes again (in a retry that
    // was accepted, or with the next export), and the backend may then hold it twice. Counted, never silent.
    if (result.timedOutAfterSending && result.outcome !== 'rejected') tally.possiblyDuplicatedPoints += batch.size;
    if (result.outcome === 'accepted') {
      this.settle(batch);
      this.header.addExportSucceeded();
      // An OTLP partial success: the refused points are final, never resent, and counted as failed.
      this.self.recordExport(batch.size - result.rejectedPoints, seconds, undefined);
      if (result.rejectedPoints > 0) {
        this.self.recordExport(result.rejectedPoints, 0, 'rejected');
        tally.rejectedPoints += result.rejectedPoints;
        tally.refusals.push(
          `the backend at ${this.sender.shownUrl} rejected ${result.rejectedPoints} data points${result.rejection ? `: ${result.rejection}` : ''}`,
        );
      }
      return true;
    }
    this.header.addExportFailed();
    this.self.recordExport(batch.size, seconds, result.errorType);
    if (result.outcome === 'rejected' && !plan.handOver) {
      // Refused for good (400 and the like): resending would fail the same way, so the batch is dropped, counted,
      // and the next batches still go.
      this.settle(batch);
      tally.droppedPoints += batch.size;
      tally.failures.push(`${result.error}; ${batch.size} data points dropped`);
      return true;
    }
    if (result.outcome === 'retryable' && result.retryAfterMillis !== undefined)
      this.notBeforeMillis = this.clock.nowMillis() + result.retryAfterMillis;
    tally.failures.push(result.outcome === 'rejected' ? `${result.error}; kept for the new export settings` : result.error);
    return false;
  }

  /** A batch whose fate is known: its sources move on, and its points join the totals GET /metrics serves. */
  private settle(batch: Batch): void {
    batch.commit();
    this.totals.absorb(batch);
  }

  /**
   * Settles an interval without OTLP (exporters console, prometheus or none): nothing can fail, so every batch is
   * committed at once (after the console has shown it) and moves into the totals GET /metrics serves. The export
   * counters in stats() count OTLP requests only and stay as they are; `exported` still reports the interval, so
   * health() and the staleness check see a pipeline that keeps up.
   */
  private settleUnsent(batches: readonly Batch[], endMillis: number): ExportOutcome {
    if (this.config.exporters.includes('console')) this.printConsole(batches, endMillis);
    for (const batch of batches) this.settle(batch);
    this.afterSettled();
    this.reportExported({ ok: true });
    return { ok: true };
  }

  private afterSettled(): void {
    this.header.setOverflowed(this.accumulation.overflowed);
    this.retention.afterExportSettled(this.clock.nowMillis());
  }

  /** The console exporter: the main thread writes the text to stdout (protocol.ts). */
  private printConsole(batches: readonly Batch[], endMillis: number): void {
    const shard = this.config.shards > 1 ? this.config.shard : undefined;
    this.post({ type: 'console', text: consoleSummary(batches, endMillis, shard) });
  }

  /** An export settled: its counts go to the header first (stats() reads them there), then the main thread is told. */
  private reportExported(
    outcome: { ok: boolean; error?: string; refusal?: string },
    tally?: Pick<RunTally, 'rejectedPoints' | 'droppedPoints' | 'possiblyDuplicatedPoints'>,
  ): void {
    this.header.addExportSettled(outcome.ok, tally?.rejectedPoints ?? 0, tally?.droppedPoints ?? 0, tally?.possiblyDuplicatedPoints ?? 0);
    this.post({ type: 'exported', ...outcome });
  }

  private newSender(): OtlpSender {
    return new OtlpSender(this.config.otlp, { resource: this.config.resource, scope: SCOPE }, this.clock);
  }
}
