/**
 * One shard's status as its supervisor learns it. Counts are not kept here: they live in the ring's header slots
 * (restarts, losses, export counts, refused and dropped points), written once by the thread that counts them and
 * read where they are. What only a message says is kept here: the last export's outcome and error, recent export
 * durations, the connectivity check of a configured endpoint, and when each kind of trouble was last seen (health()
 * degrades for a while after it).
 */
import type { RingHeader } from '../contract/ring-header.js';
import type { WorkerToMain } from '../contract/protocol.js';

/** Export durations kept for the p50/p99 of GET /otel/performance. */
const EXPORT_DURATIONS_KEPT = 64;

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

/** Kinds of trouble health() remembers for a while (HEALTH_WINDOW_MILLIS, engine/status.ts). */
export type Incident = 'ringFull' | 'workerLoss' | 'workerDiedExporting' | 'workerFailed' | 'exportRejected';

export class ShardStatus {
  /** The last export's end (ms since the epoch) and outcome; undefined before the first. */
  lastExportAtMillis: number | undefined;
  lastExportOk: boolean | undefined;
  /** The last error: of an export (or a backend's partial refusal), or why the worker was replaced. */
  lastError: string | undefined;
  /** Durations of the last exports that sent something, oldest first, at most EXPORT_DURATIONS_KEPT. */
  readonly exportDurationsMillis: number[] = [];
  /** The connectivity check of the endpoint the last configure() set (shard 0 runs it); undefined before any. */
  connectivity: ConnectivityState | undefined;
  /** When each kind of trouble was last noticed (ms since the epoch), and the last worker failure's text. */
  readonly incidents: Partial<Record<Incident, number>> = {};
  workerFailure: string | undefined;
  private checks = 0;
  /** Header counts as of the last export message: a change since says what happened during that export. */
  private seen = { dropped: 0, attempts: 0, refusedPoints: 0 };

  constructor(
    private readonly header: RingHeader,
    /** The ring's DROPPED count (written by this thread). */
    private readonly dropped: () => number,
  ) {}

  /** Whether the last export failed (its data is pending, or was dropped if the backend refused it for good). */
  get failing(): boolean {
    return this.lastExportOk === false;
  }

  /** An export settled (the worker's `exported`, sent after it counted the export in the header). */
  onExported(message: Extract<WorkerToMain, { type: 'exported' }>, nowMillis: number): void {
    const header = this.header;
    // Only after the check's answer: the hand-over export to the old endpoint comes before it and proves nothing.
    if (message.ok && this.connectivity !== undefined && this.connectivity.status !== 'pending') this.connectivity.exportedSince = true;
    if (!message.ok) this.lastError = message.error;
    // A partial success is no failure (health() says degraded), but its refusal is the last error the backend gave.
    else if (message.refusal !== undefined) this.lastError = message.refusal;
    // Drops and refusals are noticed here, once per export, so that the record path never reads a clock.
    const refusedPoints = header.rejectedPoints + header.droppedPoints;
    if (refusedPoints !== this.seen.refusedPoints) this.incidents.exportRejected = nowMillis;
    if (this.dropped() > this.seen.dropped) this.incidents.ringFull = nowMillis;
    this.lastExportAtMillis = nowMillis;
    this.lastExportOk = message.ok;
    // Only an export that sent a request has a duration (one waiting out a Retry-After sends none).
    const attempts = header.exportAttempts;
    if (attempts !== this.seen.attempts) {
      this.exportDurationsMillis.push(header.lastExportMicros / 1000);
      if (this.exportDurationsMillis.length > EXPORT_DURATIONS_KEPT) this.exportDurationsMillis.shift();
    }
    this.seen = { dropped: this.dropped(), attempts, refusedPoints };
  }

  /** A worker was replaced because it failed (`text`: why, redacted): an error it threw, a hang, a failed start. */
  onWorkerFailed(text: string, nowMillis: number): void {
    this.lastError = text;
    this.workerFailure = text;
    this.incidents.workerFailed = nowMillis;
  }

  /** A worker died holding records: `lost` never exported, `possiblyDelivered` whose export was out (header counts). */
  onLoss(lost: number, possiblyDelivered: number, nowMillis: number): void {
    if (lost > 0) this.incidents.workerLoss = nowMillis;
    if (possiblyDelivered > 0) this.incidents.workerDiedExporting = nowMillis;
  }

  /** configure() asked for a connectivity check: `pending` until it answers. Returns the check's id. */
  checkStarted(): number {
    const checkId = ++this.checks;
    this.connectivity = { checkId, status: 'pending', checkedAtMillis: undefined, error: undefined, exportedSince: false };
    return checkId;
  }

  onConnectivity(message: Extract<WorkerToMain, { type: 'connectivity' }>, nowMillis: number): void {
    // Only the check of the latest configure() counts: an older one tested an endpoint no longer in use.
    if (this.connectivity?.checkId !== message.checkId) return;
    this.connectivity = {
      checkId: message.checkId,
      status: message.ok ? 'reachable' : 'unreachable',
      checkedAtMillis: nowMillis,
      error: message.error,
      exportedSince: false,
    };
  }
}
