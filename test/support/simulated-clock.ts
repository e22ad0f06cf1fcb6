import type { Clock, ClockTimer } from '../../dist/src/contract/clock.js';

interface Pending {
  due: number;
  seq: number;
  callback: () => void;
}

/**
 * Simulated time for the workers' and the supervisor's clock: nothing fires until the test moves time on, and
 * moving it fires every timer that falls due, in order, at its own time.
 */
export class SimulatedClock implements Clock {
  private now: number;
  private seq = 0;
  private readonly timers = new Map<ClockTimer, Pending>();

  constructor(startMillis = 1_700_000_000_000) {
    this.now = startMillis;
  }

  nowMillis(): number {
    return this.now;
  }

  setTimeout(callback: () => void, delayMillis: number): ClockTimer {
    const timer: ClockTimer = { unref: () => timer };
    // Whole milliseconds, as Date.now() gives: code computes timeouts from the clock's readings.
    this.timers.set(timer, { due: this.now + Math.max(0, Math.ceil(delayMillis)), seq: this.seq++, callback });
    return timer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer !== undefined) this.timers.delete(timer);
  }

  /**
   * A request's timeout, on real time: onSimulatedTime moves simulated time on whenever a timer is pending, so a
   * request's own timer must not count as one (the real request is what it waits for then).
   */
  abortAfter(millis: number): AbortSignal {
    return AbortSignal.timeout(millis);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time on by `millis`, firing what falls due on the way; real I/O a callback starts is not waited for. */
  async advance(millis: number): Promise<void> {
    const target = this.now + millis;
    for (let next = this.earliest(); next !== undefined && next[1].due <= target; next = this.earliest()) {
      const [timer, pending] = next;
      this.timers.delete(timer);
      this.now = Math.max(this.now, pending.due);
      pending.callback();
      // Let the promise chains the callback resumed run before the next timer.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.now = target;
  }

  /** Fires the earliest timer, jumping time to it; false if none is pending. */
  async fireNext(): Promise<boolean> {
    const next = this.earliest();
    if (next === undefined) return false;
    await this.advance(next[1].due - this.now);
    return true;
  }

  private earliest(): [ClockTimer, Pending] | undefined {
    let best: [ClockTimer, Pending] | undefined;
    for (const entry of this.timers) {
      if (best === undefined || entry[1].due < best[1].due || (entry[1].due === best[1].due && entry[1].seq < best[1].seq)) best = entry;
    }
    return best;
  }
}
