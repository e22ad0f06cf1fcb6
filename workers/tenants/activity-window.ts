import type { MemoryBudget } from '../memory-budget.js';

/**
 * Requests per minute over the last hour, as rings of 60 minute buckets: exact to the minute. `lastHour` sums the
 * buckets of the 60 minutes ending with the current one, so it is a sliding-window estimate whose error is at most
 * the requests of the oldest, partly expired minute.
 *
 * A shard holds one window per tenant and per endpoint cell, thousands of them, so they live side by side in one
 * slab (a Uint32Array of WINDOW_WORDS words per window) rather than one typed array each: a typed array of its own
 * cost ~790 bytes of process memory for 240 bytes of buckets (its objects and its native backing store), a slab
 * slot costs its 248 bytes. The slab grows by doubling, charged to the shard's memory budget; a window number
 * freed by a forgotten tenant is reused.
 *
 * The current minute's count is kept apart and written to its bucket only when the minute turns or the window is
 * read: counting into the bucket on every record cost a cache miss per window per record.
 */
const MINUTE_MILLIS = 60_000;
export const WINDOW_MINUTES = 60;
/** Words of one window: 60 buckets, the newest minute + 1 (0: none yet), the newest minute's unwritten count. */
const NEWEST_MINUTE = WINDOW_MINUTES;
const NEWEST_COUNT = WINDOW_MINUTES + 1;
export const WINDOW_WORDS = WINDOW_MINUTES + 2;
/** Bytes of one window in the slab. */
export const WINDOW_BYTES = WINDOW_WORDS * 4;
const INITIAL_WINDOWS = 64;

export class ActivityWindows {
  private words = new Uint32Array(0);
  private capacity = 0;
  private highWater = 0;
  private readonly free: number[] = [];

  /** `budget`: charged for the slab's growth; none: unbounded (tests of the window alone). */
  constructor(private readonly budget?: MemoryBudget) {}

  /** Windows in use. */
  get size(): number {
    return this.highWater - this.free.length;
  }

  /**
   * A new, empty window; -1 when the budget refuses the slab's growth. `force`: charge the growth whatever the
   * budget says (a window that must exist: the few tenant ids that are not client-chosen).
   */
  allocate(force = false): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.highWater >= this.capacity && !this.grow(force)) return -1;
    return this.highWater++;
  }

  /** Gives a window back for reuse, cleared. */
  release(window: number): void {
    if (window < 0) return;
    this.words.fill(0, window * WINDOW_WORDS, (window + 1) * WINDOW_WORDS);
    this.free.push(window);
  }

  add(window: number, nowMillis: number, count = 1): void {
    const at = window * WINDOW_WORDS;
    const minute = Math.floor(nowMillis / MINUTE_MILLIS);
    // A record stamped with an earlier minute (a clock step back) counts in the newest one, as it always did.
    if (minute + 1 > this.words[at + NEWEST_MINUTE]) this.advance(at, minute);
    this.words[at + NEWEST_COUNT] += count;
  }

  /** The 60 buckets (index = minute % 60), current as of the last add. A view into the slab: read it at once. */
  perMinute(window: number): Uint32Array {
    const at = window * WINDOW_WORDS;
    this.settle(at);
    return this.words.subarray(at, at + WINDOW_MINUTES);
  }

  /** Requests in the 60 minutes ending with the minute of `nowMillis`. */
  lastHour(window: number, nowMillis: number): number {
    const at = window * WINDOW_WORDS;
    this.advance(at, Math.floor(nowMillis / MINUTE_MILLIS));
    this.settle(at);
    let sum = 0;
    for (let i = 0; i < WINDOW_MINUTES; i++) sum += this.words[at + i];
    return sum;
  }

  /** Writes the newest minute's count to its bucket. */
  private settle(at: number): void {
    const count = this.words[at + NEWEST_COUNT];
    if (count === 0) return;
    this.words[at + ((this.words[at + NEWEST_MINUTE] - 1) % WINDOW_MINUTES)] += count;
    this.words[at + NEWEST_COUNT] = 0;
  }

  /** Moves the newest minute to `minute`, clearing the buckets of the minutes that passed without requests. */
  private advance(at: number, minute: number): void {
    const newest = this.words[at + NEWEST_MINUTE] - 1;
    if (minute <= newest) return;
    this.settle(at);
    const gap = newest < 0 ? WINDOW_MINUTES : Math.min(minute - newest, WINDOW_MINUTES);
    for (let i = 1; i <= gap; i++) this.words[at + ((minute - gap + i) % WINDOW_MINUTES)] = 0;
    this.words[at + NEWEST_MINUTE] = minute + 1;
  }

  private grow(force: boolean): boolean {
    let target = Math.max(INITIAL_WINDOWS, this.capacity * 2);
    while (target > this.capacity) {
      if (this.budget === undefined || this.budget.tryReserve((target - this.capacity) * WINDOW_BYTES)) {
        this.resize(target);
        return true;
      }
      // Refused: try half the growth, down to one window.
      target = this.capacity + Math.floor((target - this.capacity) / 2);
    }
    if (!force) return false;
    // A window that must exist: one more, charged whatever the budget says (never a doubling past the bound).
    this.budget?.charge(WINDOW_BYTES);
    this.resize(this.capacity + 1);
    return true;
  }

  private resize(capacity: number): void {
    const words = new Uint32Array(capacity * WINDOW_WORDS);
    words.set(this.words);
    this.words = words;
    this.capacity = capacity;
  }
}
