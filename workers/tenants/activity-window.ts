/**
 * Requests per minute over the last hour, as a ring of 60 minute buckets: bounded (60 × 4 bytes per tenant or cell)
 * and exact to the minute. `lastHour` sums the buckets of the 60 minutes ending with the current one, so it is a
 * sliding-window estimate whose error is at most the requests of the oldest, partly expired minute.
 */
const MINUTE_MILLIS = 60_000;
export const WINDOW_MINUTES = 60;

export class ActivityWindow {
  readonly perMinute = new Uint32Array(WINDOW_MINUTES);
  /** Minute number (ms / 60,000) of the newest bucket written. */
  private newestMinute = -1;

  add(nowMillis: number, count = 1): void {
    this.advance(Math.floor(nowMillis / MINUTE_MILLIS));
    this.perMinute[this.newestMinute % WINDOW_MINUTES] += count;
  }

  /** Requests in the 60 minutes ending with the minute of `nowMillis`. */
  lastHour(nowMillis: number): number {
    this.advance(Math.floor(nowMillis / MINUTE_MILLIS));
    let sum = 0;
    for (let i = 0; i < WINDOW_MINUTES; i++) sum += this.perMinute[i];
    return sum;
  }

  /** Clears the buckets of the minutes that passed since the newest one (they had no requests). */
  private advance(minute: number): void {
    if (minute <= this.newestMinute) return;
    const gap = this.newestMinute < 0 ? WINDOW_MINUTES : Math.min(minute - this.newestMinute, WINDOW_MINUTES);
    for (let i = 1; i <= gap; i++) this.perMinute[(minute - gap + i) % WINDOW_MINUTES] = 0;
    this.newestMinute = minute;
  }
}
