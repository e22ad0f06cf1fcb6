import type { MainToWorker } from '../contract/protocol.js';

/** What a lane needs from its supervisor. */
export interface ReadLaneHost {
  /** Asks the worker running now (a call, worker-calls.ts); undefined if none runs (it is being replaced). */
  call<T>(message: (id: number) => MainToWorker): { id: number; answer: Promise<T> } | undefined;
  /** Every caller of read `id` gave up: the worker stops it and answers that it did (ReadCancelled). */
  cancel(id: number): void;
}

/** The worker's answer to a read it stopped because every caller gave up (`readCancelled`). */
export class ReadCancelled extends Error {
  constructor() {
    super('ringmeter: the read was cancelled: every caller waiting for it gave up');
  }
}

interface Request<T> {
  message: (id: number) => MainToWorker;
  resolve(payload: T): void;
  reject(error: Error): void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * One kind of read (GET /metrics renders, or analytics) of one shard's worker: at most one in the worker at a time,
 * the others waiting here in order. A worker never holds a backlog of reads it would serve in one long turn of its
 * event loop while a due export waits; the callers above (src/reads/read-coalescer.ts) share reads, so a wave of
 * scrapes is one render here. A request whose signal aborts leaves: a waiting one is dropped, the one in the worker
 * is told to stop (`cancelRead`) and the lane waits for the worker's answer before it sends the next. A read in a
 * worker that dies fails with it (its call fails); the waiting ones go to the replacement (workerReady).
 */
export class ReadLane<T> {
  /** The read in the worker: its id, and its request until it is answered or its caller left. */
  private inFlight: { id: number; request: Request<T> | undefined } | undefined;
  private readonly queue: Request<T>[] = [];
  /** Reads sent to the worker, and those it stopped because every caller left (cancelRead), since creation. */
  readonly counts = { sent: 0, cancelled: 0 };

  constructor(private readonly host: ReadLaneHost) {}

  /** Whether a read is in the worker, awaiting its answer. */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  read(message: (id: number) => MainToWorker, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new ReadCancelled());
        return;
      }
      const request: Request<T> = { message, resolve, reject, signal, onAbort: () => this.abandon(request) };
      signal?.addEventListener('abort', request.onAbort, { once: true });
      this.queue.push(request);
      this.pump();
    });
  }

  /** A worker runs (again): the waiting reads go to it. */
  workerReady(): void {
    this.pump();
  }

  private abandon(request: Request<T>): void {
    if (this.inFlight?.request === request) {
      // The caller is told at once; the lane stays busy until the worker confirms, so reads never overlap there.
      this.inFlight.request = undefined;
      request.reject(new ReadCancelled());
      this.host.cancel(this.inFlight.id);
      return;
    }
    const at = this.queue.indexOf(request);
    if (at >= 0) this.queue.splice(at, 1);
    request.reject(new ReadCancelled());
  }

  private pump(): void {
    if (this.inFlight !== undefined || this.queue.length === 0) return;
    const request = this.queue[0];
    // No worker now: workerReady() sends it to the replacement (callers give up by their own deadlines meanwhile).
    const sent = this.host.call<T>(request.message);
    if (sent === undefined) return;
    this.queue.shift();
    this.counts.sent++;
    const inFlight = { id: sent.id, request: request as Request<T> | undefined };
    this.inFlight = inFlight;
    sent.answer.then(
      (payload) => this.done(inFlight, { ok: true, payload }),
      (error: Error) => this.done(inFlight, { ok: false, error }),
    );
  }

  private done(inFlight: { request: Request<T> | undefined }, outcome: { ok: true; payload: T } | { ok: false; error: Error }): void {
    this.inFlight = undefined;
    if (!outcome.ok && outcome.error instanceof ReadCancelled) this.counts.cancelled++;
    const request = inFlight.request;
    if (request !== undefined) {
      request.signal?.removeEventListener('abort', request.onAbort);
      if (outcome.ok) request.resolve(outcome.payload);
      else request.reject(outcome.error);
    }
    this.pump();
  }
}
