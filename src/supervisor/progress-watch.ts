/**
 * A worker that has not beaten yet since it was launched is starting, not hung: piscina needs ~0.5 s (seconds on a
 * loaded machine) before a new worker's first drain pass. Until its first beat the bound is at least this long, so
 * that a short `workerHangMillis` cannot replace every replacement before it ever starts.
 */
export const STARTUP_GRACE_MILLIS = 5_000;

/**
 * Tells a hung worker from a busy one by its heartbeat (a counter the worker bumps on every drain pass): a worker
 * whose heartbeat stands still for `hangMillis` is hung. Pure bookkeeping on the times it is given, so that the
 * rule is tested on simulated time; the supervisor polls it.
 */
export class ProgressWatch {
  /** The heartbeat last read (at a launch: the counter as the previous worker left it). */
  private lastHeartbeat: number;
  private lastProgressMillis: number;
  /** No beat seen since the worker was launched: the start-up grace applies. */
  private starting = true;

  constructor(
    /** The bound; configure() may change it (workerHangMillis), read on the next poll. */
    public hangMillis: number,
    nowMillis: number,
    heartbeat = 0,
  ) {
    this.lastProgressMillis = nowMillis;
    this.lastHeartbeat = heartbeat;
  }

  /** How often to look: often enough to notice a hang within a quarter of the bound (at most every 50 ms). */
  get pollMillis(): number {
    return Math.max(50, Math.floor(this.hangMillis / 4));
  }

  /**
   * A worker (the first, or a replacement for whatever reason) was launched now, with the shared counter at
   * `heartbeat`: it starts with the grace, and its first beat is any change from that value.
   */
  launched(nowMillis: number, heartbeat: number): void {
    this.lastHeartbeat = heartbeat;
    this.lastProgressMillis = nowMillis;
    this.starting = true;
  }

  /** The stall, if any, counts from `nowMillis` (a shorter bound was just set: see ShardSupervisor.setHangMillis). */
  restartCount(nowMillis: number): void {
    this.lastProgressMillis = nowMillis;
  }

  /**
   * Takes one reading; returns how long the worker has made no progress if that reached the bound (the watch then
   * starts over, for the replacement), else undefined.
   */
  check(heartbeat: number, nowMillis: number): number | undefined {
    if (heartbeat !== this.lastHeartbeat) {
      this.lastHeartbeat = heartbeat;
      this.lastProgressMillis = nowMillis;
      this.starting = false;
      return undefined;
    }
    const stalled = nowMillis - this.lastProgressMillis;
    const bound = this.starting ? Math.max(this.hangMillis, STARTUP_GRACE_MILLIS) : this.hangMillis;
    if (stalled < bound) return undefined;
    this.launched(nowMillis, heartbeat);
    return stalled;
  }
}
