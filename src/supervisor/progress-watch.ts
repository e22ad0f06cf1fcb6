/**
 * Tells a hung worker from a busy one by its heartbeat (a counter the worker bumps on every drain pass): a worker
 * whose heartbeat stands still for `hangMillis` is hung. Pure bookkeeping on the times it is given, so that the
 * rule is tested on simulated time; the supervisor polls it.
 */
export class ProgressWatch {
  private lastHeartbeat = -1;
  private lastProgressMillis: number;

  constructor(
    /** The bound; configure() may change it (workerHangMillis), read on the next poll. */
    public hangMillis: number,
    nowMillis: number,
  ) {
    this.lastProgressMillis = nowMillis;
  }

  /** How often to look: often enough to notice a hang within a quarter of the bound (at most every 50 ms). */
  get pollMillis(): number {
    return Math.max(50, Math.floor(this.hangMillis / 4));
  }

  /**
   * Takes one reading; returns how long the worker has made no progress if that reached the bound (the watch then
   * starts over, for the replacement), else undefined.
   */
  check(heartbeat: number, nowMillis: number): number | undefined {
    if (heartbeat !== this.lastHeartbeat) {
      this.lastHeartbeat = heartbeat;
      this.lastProgressMillis = nowMillis;
      return undefined;
    }
    const stalled = nowMillis - this.lastProgressMillis;
    if (stalled < this.hangMillis) return undefined;
    this.lastProgressMillis = nowMillis;
    return stalled;
  }
}
