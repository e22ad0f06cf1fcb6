/**
 * The one way the main thread asks a shard's worker something and awaits the answer: a call carries an id, the
 * worker answers with it, and every call awaited is in one table. Flush, configure and shutdown are calls; so are
 * the reads (read-lane.ts puts them through one at a time) and the test hooks (on the test port). A worker that
 * goes away, however (it exited, threw, hung), fails every call still in the table at once, with one reason.
 */
export type CallOutcome<T = unknown> = { ok: true; value: T } | { ok: false; error: Error };

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class WorkerCalls {
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;

  constructor(
    /** Told when the table empties or stops being empty: while a call is awaited the ports keep the process alive. */
    private readonly awaitedChanged: (awaited: boolean) => void,
  ) {}

  /** Whether an answer is awaited. */
  get awaited(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Sends `send(id)` and resolves with the worker's answer to `id`. With `signal`, the caller may stop waiting: the
   * call leaves the table and rejects with the signal's reason (an answer that comes later is dropped).
   */
  call<T>(send: (id: number) => void, signal?: AbortSignal): { id: number; answer: Promise<T> } {
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    if (this.pending.size === 1) this.awaitedChanged(true);
    if (signal !== undefined) {
      const abandon = () =>
        this.settle(id, { ok: false, error: signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)) });
      if (signal.aborted) abandon();
      else {
        signal.addEventListener('abort', abandon, { once: true });
        void answer.then(
          () => signal.removeEventListener('abort', abandon),
          () => signal.removeEventListener('abort', abandon),
        );
      }
    }
    send(id);
    return { id, answer };
  }

  /** The worker answered call `id`; false if no call awaits that id (abandoned, or failed with its worker). */
  settle(id: number, outcome: CallOutcome): boolean {
    const call = this.pending.get(id);
    if (call === undefined) return false;
    this.pending.delete(id);
    if (this.pending.size === 0) this.awaitedChanged(false);
    if (outcome.ok) call.resolve(outcome.value);
    else call.reject(outcome.error);
    return true;
  }

  /** The worker went away: every call awaited fails with `error`. */
  failAll(error: Error): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    if (calls.length > 0) this.awaitedChanged(false);
    for (const call of calls) call.reject(error);
  }
}
