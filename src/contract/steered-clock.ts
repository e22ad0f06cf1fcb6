import type { Clock, ClockTimer } from './clock.js';

interface Pending {
  due: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock whose time moves only when a test moves it, for a collector made by createTestCollector with a steered
 * time (internal.ts): its supervisors and its workers then read one time, held in shared memory, so that a test of
 * Retry-After waits, back-offs and export deadlines through real workers asserts exact times, whatever the load.
 *
 * Each thread keeps its own timers: the test moves the time (advance, main thread), then each thread fires those
 * of its timers that have fallen due (fireDue; a worker on its test port's `testClockMoved`). A timer fires after
 * the move, so it reads the time moved to, not the time it was due at: a test moves time in the steps it asserts.
 */
export class SteeredClock implements Clock {
  /** Milliseconds since the epoch, one BigInt64 (read and written whole, with Atomics). */
  private readonly time: BigInt64Array;
  private readonly timers = new Map<ClockTimer, Pending>();
  private seq = 0;

  /** `buffer`: a steered time (steeredTime()), the same one on every thread. */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.time = new BigInt64Array(buffer, 0, 1);
  }

  nowMillis(): number {
    return Number(Atomics.load(this.time, 0));
  }

  setTimeout(callback: () => void, delayMillis: number): ClockTimer {
    const timer: ClockTimer = { unref: () => timer };
    // Whole milliseconds, as Date.now() gives: code computes timeouts from the clock's readings.
    this.timers.set(timer, { due: this.nowMillis() + Math.max(0, Math.ceil(delayMillis)), seq: this.seq++, callback });
    return timer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer !== undefined) this.timers.delete(timer);
  }

  abortAfter(millis: number): AbortSignal {
    const controller = new AbortController();
    this.setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), millis);
    return controller.signal;
  }

  /** Moves the time on by `millis` for every thread, then fires this thread's timers due by then. */
  advance(millis: number): void {
    Atomics.add(this.time, 0, BigInt(Math.ceil(millis)));
    this.fireDue();
  }

  /** Fires this thread's timers due by now, earliest first (a timer a callback sets for now fires too). */
  fireDue(): void {
    const now = this.nowMillis();
    for (let next = this.earliest(); next !== undefined && next[1].due <= now; next = this.earliest()) {
      this.timers.delete(next[0]);
      next[1].callback();
    }
  }

  private earliest(): [ClockTimer, Pending] | undefined {
    let best: [ClockTimer, Pending] | undefined;
    for (const entry of this.timers) {
      if (best === undefined || entry[1].due < best[1].due || (entry[1].due === best[1].due && entry[1].seq < best[1].seq)) best = entry;
    }
    return best;
  }
}

/** A steered time starting at `startMillis` (ms since the epoch), to share between the threads of one collector. */
export function steeredTime(startMillis: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  new BigInt64Array(buffer)[0] = BigInt(Math.floor(startMillis));
  return buffer;
}

/** The steered time `clock` reads, for a worker to read too; undefined for any other clock. */
export function steeredTimeOf(clock: Clock): SharedArrayBuffer | undefined {
  return clock instanceof SteeredClock ? clock.buffer : undefined;
}
