/**
 * Requests per minute over the last hour, as a ring of 60 minute buckets: bounded (60 × 4 bytes per tenant or cell)
 * and exact to the minute. `lastHour` sums the buckets of the 60 minutes ending with the current one, so it is a
 * sliding-window estimate whose error is at most the requests of the oldest, partly expired minute.
 *
 * The current minute's count is kept in the object itself and written to its bucket only when the minute turns
 * or the window is read. A shard holds a window per tenant and per endpoint cell, thousands of them, and the
 * bucket array is a memory block of its own: counting into it on every record cost the worker a cache miss per
 * window per record, most of what a record costs it beyond the series it lands in.
 */
const MINUTE_MILLIS = 60_000;
export const WINDOW_MINUTES = 60;

export class ActivityWindow {
  private readonly buckets = new Uint32Array(WINDOW_MINUTES);
  /** Minute number (ms / 60,000) of the newest minute counted; -1 before the first. */
  private newestMinute = -1;
  /** Requests of the newest minute not yet written to its bucket. */
  private newestCount = 0;

  /** The 60 buckets, oldest minute first after the newest (index = minute % 60), current as of the last add. */
  get perMinute(): Uint32Array {
    this.settle();
    return this.buckets;
  }

  add(nowMillis: number, count = 1): void {
    const minute = Math.floor(nowMillis / MINUTE_MILLIS);
    // A record stamped with an earlier minute (a clock step back) counts in the newest one, as it always did.
    if (minute > this.newestMinute) this.advance(minute);
    this.newestCount += count;
  }

  /** Requests in the 60 minutes ending with the minute of `nowMillis`. */
  lastHour(nowMillis: number): number {
    this.advance(Math.floor(nowMillis / MINUTE_MILLIS));
    this.settle();
    let sum = 0;
    for (let i = 0; i < WINDOW_MINUTES; i++) sum += this.buckets[i];
    return sum;
  }

  /** Writes the newest minute's count to its bucket. */
  private settle(): void {
    if (this.newestCount === 0) return;
    this.buckets[this.newestMinute % WINDOW_MINUTES] += this.newestCount;
    this.newestCount = 0;
  }

  /** Moves the newest minute to `minute`, clearing the buckets of the minutes that passed without requests. */
  private advance(minute: number): void {
    if (minute <= this.newestMinute) return;
    this.settle();
    const gap = this.newestMinute < 0 ? WINDOW_MINUTES : Math.min(minute - this.newestMinute, WINDOW_MINUTES);
    for (let i = 1; i <= gap; i++) this.buckets[(minute - gap + i) % WINDOW_MINUTES] = 0;
    this.newestMinute = minute;
  }
}
