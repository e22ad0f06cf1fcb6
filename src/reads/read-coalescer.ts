/**
 * Concurrent callers of one read (a GET /metrics scrape, an analytics question) share it. At most one read runs and
 * one waits: a caller that arrives while none runs starts one; a caller that arrives while one runs joins the
 * waiting one, which starts when the running one ends. A read that started before a caller asked may have taken
 * its snapshot before what the caller recorded just before asking (a scrape must show every record written before
 * it, as flush() exports them), so it serves a later caller only if it proves it covers that caller (`covers`: the
 * positions the caller's records had reached, against the ones the read drained to); the other callers of the
 * waiting read keep waiting for it, and it does not start if none is left.
 *
 * Each caller has its own deadline and may give up (its AbortSignal: a client that disconnected); a read whose
 * callers have all given up is cancelled: a waiting one never starts, a running one is aborted (its `start`
 * function gets the signal and passes it on to the workers) unless callers of the waiting one remain that it may
 * still serve.
 */
export class ReadCoalescer<T, Mark = undefined> {
  private running: SharedRead<T, Mark> | undefined;
  private waiting: SharedRead<T, Mark> | undefined;

  constructor(
    private readonly start: (signal: AbortSignal) => Promise<T>,
    private readonly options: {
      /** Where a caller's records stand when it asks (taken synchronously, at the call). */
      mark?: () => Mark;
      /** Whether a finished read includes every record of a caller that asked at `mark`. */
      covers?: (result: T, mark: Mark) => boolean;
      /** Called when no read runs or waits any more (an owner keeping coalescers per key drops this one). */
      onIdle?: () => void;
    } = {},
  ) {}

  /**
   * The result of a read that includes everything recorded before this call. Rejects with `timedOut()` after
   * `timeoutMillis`, or when `signal` aborts; either way, only this caller stops waiting.
   */
  read(timeoutMillis: number, signal: AbortSignal | undefined, timedOut: () => Error): Promise<T> {
    if (signal?.aborted) return Promise.reject(callerGaveUp());
    const mark = this.options.mark?.() as Mark;
    let shared = this.waiting;
    if (shared === undefined) {
      shared = new SharedRead<T, Mark>();
      if (this.running === undefined) this.begin(shared);
      else this.waiting = shared;
    }
    const joined = shared;
    return new Promise<T>((resolve, reject) => {
      const caller: Caller<T, Mark> = {
        mark,
        settle: (outcome) => {
          joined.callers.delete(caller);
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (outcome.ok) resolve(outcome.value);
          else reject(outcome.error);
        },
      };
      const leave = (error: Error) => {
        if (!joined.callers.has(caller)) return;
        caller.settle({ ok: false, error });
        this.left(joined);
      };
      const timer = setTimeout(() => leave(timedOut()), timeoutMillis);
      // A caller's deadline must not keep the process alive.
      timer.unref();
      const onAbort = () => leave(callerGaveUp());
      signal?.addEventListener('abort', onAbort, { once: true });
      joined.callers.add(caller);
    });
  }

  private begin(shared: SharedRead<T, Mark>): void {
    this.running = shared;
    this.start(shared.controller.signal).then(
      (value) => this.finish(shared, { ok: true, value }),
      (error: Error) => this.finish(shared, { ok: false, error }),
    );
  }

  private finish(shared: SharedRead<T, Mark>, outcome: Outcome<T>): void {
    for (const caller of [...shared.callers]) caller.settle(outcome);
    this.running = undefined;
    const next = this.waiting;
    this.waiting = undefined;
    const { covers } = this.options;
    if (next !== undefined && outcome.ok && covers !== undefined) {
      for (const caller of [...next.callers]) if (covers(outcome.value, caller.mark)) caller.settle(outcome);
    }
    if (next !== undefined && next.callers.size > 0) this.begin(next);
    else this.options.onIdle?.();
  }

  /**
   * A caller gave up before the result. A waiting read that nobody waits for is dropped. The running one is
   * cancelled when nobody waits for it, nor (if it may serve them: `covers`) for the waiting one.
   */
  private left(shared: SharedRead<T, Mark>): void {
    if (shared.callers.size > 0) return;
    if (shared === this.waiting) this.waiting = undefined;
    const running = this.running;
    if (running === undefined || running.callers.size > 0) return;
    const mayServeWaiting = this.options.covers !== undefined && this.waiting !== undefined;
    if (!mayServeWaiting) running.controller.abort();
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

interface Caller<T, Mark> {
  mark: Mark;
  settle(outcome: Outcome<T>): void;
}

/** One read and the callers waiting for it. */
class SharedRead<T, Mark> {
  readonly controller = new AbortController();
  readonly callers = new Set<Caller<T, Mark>>();
}

function callerGaveUp(): Error {
  return new Error('ringmeter: the caller gave up (its request was aborted)');
}
