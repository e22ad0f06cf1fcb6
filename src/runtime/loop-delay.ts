import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** How often the loop is probed: the finest delay it can tell apart from none. */
export const LOOP_DELAY_RESOLUTION_MILLIS = 10;

/**
 * The main thread's event-loop delay, per sample interval: a timer every 10 ms records how late it ran.
 *
 * Why not `monitorEventLoopDelay` alone: its histogram records the gap between two of its own timer callbacks,
 * and `reset()` (needed so that each sample covers its own interval) makes it forget the previous callback. When
 * the sampler's timer runs first after a stall, the stall's gap is then recorded in no sample at all (one stall in
 * several was lost that way). This probe keeps its own last tick, which `take()` never resets, so a stall always
 * lands in the histogram: in this sample's if the probe ran first, else in the next one's.
 */
export class LoopDelayMonitor {
  private readonly histogram: RecordableHistogram = createHistogram();
  private readonly timer: NodeJS.Timeout;
  private lastTickMillis = performance.now();

  constructor() {
    this.timer = setInterval(() => this.tick(), LOOP_DELAY_RESOLUTION_MILLIS);
    // It must never keep the host process alive.
    this.timer.unref();
  }

  /** The delays since the last take (seconds), then starts the next interval; undefined when none was probed. */
  take(): { p50Seconds: number; p99Seconds: number } | undefined {
    if (this.histogram.count === 0) return undefined;
    const delay = { p50Seconds: this.histogram.percentile(50) / 1e9, p99Seconds: this.histogram.percentile(99) / 1e9 };
    this.histogram.reset();
    return delay;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    const lateNanos = (now - this.lastTickMillis - LOOP_DELAY_RESOLUTION_MILLIS) * 1e6;
    this.lastTickMillis = now;
    // The histogram takes integers of at least 1 (a tick on time records 1 ns).
    this.histogram.record(Math.max(1, Math.round(lateNanos)));
  }
}
