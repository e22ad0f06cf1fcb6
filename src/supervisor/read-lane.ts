import type { MainToWorker } from '../contract/protocol.js';

/** What a lane needs from its supervisor. */
export interface ReadLaneHost {
  /** Posts to the worker running now; false if none runs (it is being replaced). */
  post(message: MainToWorker): boolean;
  nextId(): number;
  /** Called when the lane starts or stops awaiting an answer (the port keeps the process alive meanwhile). */
  busyChanged(): void;
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
 * event loop while a due export waits; the callers above (src/read-coalescer.ts) share reads, so a wave of
 * scrapes is one render here. A request whose signal aborts leaves: a waiting one is dropped, the one in the worker
 * is told to stop (`cancelRead`) and the lane waits for the worker's answer before it sends the next.
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
        reject(abortError());
        return;
      }
      const request: Request<T> = { message, resolve, reject, signal, onAbort: () => this.abandon(request) };
      signal?.addEventListener('abort', request.onAbort, { once: true });
      this.queue.push(request);
      this.pump();
    });
  }

  /** The worker answered read `id` (undefined: it was cancelled). False if the id is not this lane's. */
  answered(id: number, payload: T | undefined): boolean {
    if (this.inFlight?.id !== id) return false;
    const { request } = this.inFlight;
    this.inFlight = undefined;
    if (payload === undefined) this.counts.cancelled++;
    if (request !== undefined) {
      request.signal?.removeEventListener('abort', request.onAbort);
      if (payload !== undefined) request.resolve(payload);
      else request.reject(abortError());
    }
    this.host.busyChanged();
    this.pump();
    return true;
  }

  /** A worker runs (again): the waiting reads go to it. */
  workerReady(): void {
    this.pump();
  }

  /** The worker died: the read in it rejects with `error`; waiting ones go to its replacement (workerReady). */
  workerExited(error: Error): void {
    const request = this.inFlight?.request;
    this.inFlight = undefined;
    if (request !== undefined) {
      request.signal?.removeEventListener('abort', request.onAbort);
      request.reject(error);
    }
    this.host.busyChanged();
  }

  private abandon(request: Request<T>): void {
    if (this.inFlight?.request === request) {
      // The caller is told at once; the lane stays busy until the worker confirms, so reads never overlap there.
      this.inFlight.request = undefined;
      request.reject(abortError());
      this.host.post({ type: 'cancelRead', id: this.inFlight.id });
      return;
    }
    const at = this.queue.indexOf(request);
    if (at >= 0) this.queue.splice(at, 1);
    request.reject(abortError());
  }

  private pump(): void {
    if (this.inFlight !== undefined || this.queue.length === 0) return;
    const request = this.queue[0];
    const id = this.host.nextId();
    // No worker now: workerReady() sends it to the replacement (callers give up by their own deadlines meanwhile).
    if (!this.host.post(request.message(id))) return;
    this.queue.shift();
    this.counts.sent++;
    this.inFlight = { id, request };
    this.host.busyChanged();
  }
}

function abortError(): Error {
  return new Error('ringmeter: the read was cancelled: every caller waiting for it gave up');
}
