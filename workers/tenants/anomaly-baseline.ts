/**
 * A tenant's own recent baseline of one signal (error rate or p95 latency per export interval), and the rule that
 * flags an interval far outside it (docs/tenants.md, "Anomalies"):
 *
 *   flagged  ⇔  warmed up  and  value > mean + K · max(stddev, floor(mean))
 *
 * where mean and stddev are exponentially weighted (weight ALPHA for the newest interval) over the tenant's
 * earlier qualifying intervals, and an interval qualifies only with at least MIN_REQUESTS requests (a handful of
 * requests says nothing about a rate or a p95). Only values above the baseline flag: fewer errors or faster
 * answers are not anomalies. The floor keeps a perfectly steady tenant (stddev 0) from being flagged for noise.
 * Every qualifying interval, flagged or not, is folded in after being judged, so a lasting change becomes the new
 * normal within a few intervals rather than staying flagged for ever.
 */
export const ANOMALY_RULE = {
  /** Requests an interval needs for its error rate and p95 to be judged and folded in. */
  minRequests: 20,
  /** Qualifying intervals folded in before anything is flagged. */
  warmupIntervals: 5,
  /** Weight of the newest interval in the mean and variance (about the last 1 / ALPHA ≈ 3 intervals dominate). */
  alpha: 0.3,
  /** Standard deviations above the mean that flag. */
  k: 3,
  /** error_rate: the deviation counted is at least this share (2 percentage points). */
  errorRateFloor: 0.02,
  /** latency_p95: the deviation counted is at least this fraction of the mean… */
  latencyRelativeFloor: 0.25,
  /** …and at least this many seconds. */
  latencyFloorSeconds: 0.005,
} as const;

export class SignalBaseline {
  mean = 0;
  variance = 0;
  /** Qualifying intervals folded in so far. */
  intervals = 0;
  /** When the current run of flagged intervals began; -1 when the last judged interval was not flagged. */
  sinceMillis = -1;
  /** The last judged interval's value and the baseline it was judged against. */
  value = 0;
  baseline = 0;

  /** Judges `value` against the baseline so far, then folds it in; returns whether it was flagged. */
  observe(value: number, floor: number, nowMillis: number): boolean {
    const { alpha, k, warmupIntervals } = ANOMALY_RULE;
    const flagged = this.intervals >= warmupIntervals && value > this.mean + k * Math.max(Math.sqrt(this.variance), floor);
    this.value = value;
    this.baseline = this.mean;
    if (this.intervals === 0) {
      this.mean = value;
    } else {
      // Incremental EWMA of mean and variance (Finch, "Incremental calculation of weighted mean and variance", 2009).
      const diff = value - this.mean;
      const increment = alpha * diff;
      this.mean += increment;
      this.variance = (1 - alpha) * (this.variance + diff * increment);
    }
    this.intervals++;
    this.sinceMillis = flagged ? (this.sinceMillis < 0 ? nowMillis : this.sinceMillis) : -1;
    return flagged;
  }

  /** An interval that did not qualify: nothing judged, nothing folded in, no flag. */
  skip(): void {
    this.sinceMillis = -1;
  }

  get flagged(): boolean {
    return this.sinceMillis >= 0;
  }
}

export function errorRateFloor(): number {
  return ANOMALY_RULE.errorRateFloor;
}

export function latencyFloor(meanSeconds: number): number {
  return Math.max(ANOMALY_RULE.latencyRelativeFloor * meanSeconds, ANOMALY_RULE.latencyFloorSeconds);
}
