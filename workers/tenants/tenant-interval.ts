import type { ActivityPattern, AnomalySignal, CostShare, TenantAnomaly } from '../../src/contract/analytics.js';
import { LogSketch } from '../../src/sketch/log-sketch.js';
import { ANOMALY_RULE, errorRateFloor, latencyFloor, SignalBaseline } from './anomaly-baseline.js';

/** What a shard's tenants used in one interval, the denominators of the cost shares. */
export interface IntervalTotals {
  requestSeconds: number;
  databaseSeconds: number;
  bytes: number;
}

/**
 * One tenant's figures of the current export interval (docs/tenants.md, "Cost shares" and "Anomalies"), its
 * anomaly baselines, and what its last closed interval came to. Part of the tenant's profile, so it is forgotten
 * with it (TenantProfiles.forgetIds, registered at the shard's forget point). Memory: one interval sketch (cleared,
 * never reallocated, at each close) and a few numbers.
 */
export class TenantInterval {
  requests = 0;
  serverErrors = 0;
  queries = 0;
  requestSeconds = 0;
  databaseSeconds = 0;
  /** Request and response body bytes, plus recordTenantResource usage whose data type is 'bytes'. */
  bytes = 0;
  readonly latency = new LogSketch();
  readonly errorRate = new SignalBaseline();
  readonly latencyP95 = new SignalBaseline();
  /** The last closed interval's shares; null when the tenant did nothing in it. */
  costShare: CostShare | null = null;
  /** The tenant's pattern at the last close; undefined when it was not seen in the hour before. */
  pattern: ActivityPattern | undefined;
  /** The pattern at the close before the last, when it differed from the last: the metric sends 0 once for it. */
  formerPattern: ActivityPattern | undefined;
  /** Signals flagged at the close before the last and not at the last: the metric sends 0 once for them. */
  cleared: AnomalySignal[] = [];

  /** Sets the pattern found at this close, remembering the one it replaces. */
  setPattern(pattern: ActivityPattern | undefined): void {
    this.formerPattern = this.pattern !== pattern ? this.pattern : undefined;
    this.pattern = pattern;
  }

  get active(): boolean {
    return this.requests > 0 || this.queries > 0 || this.bytes > 0;
  }

  /**
   * Closes the interval: shares of `totals` (a resource nobody used gets share 0), then each signal judged against
   * its baseline and folded in, then the figures start again from zero.
   */
  close(totals: IntervalTotals, nowMillis: number): void {
    this.costShare = this.active
      ? {
          request_time: share(this.requestSeconds, totals.requestSeconds),
          database_time: share(this.databaseSeconds, totals.databaseSeconds),
          bytes: share(this.bytes, totals.bytes),
        }
      : null;
    const wasFlagged = this.flaggedSignals();
    if (this.requests >= ANOMALY_RULE.minRequests) {
      this.errorRate.observe(this.serverErrors / this.requests, errorRateFloor(), nowMillis);
      this.latencyP95.observe(this.latency.quantile(0.95), latencyFloor(this.latencyP95.mean), nowMillis);
    } else {
      this.errorRate.skip();
      this.latencyP95.skip();
    }
    const flagged = this.flaggedSignals();
    this.cleared = wasFlagged.filter((signal) => !flagged.includes(signal));
    this.requests = 0;
    this.serverErrors = 0;
    this.queries = 0;
    this.requestSeconds = 0;
    this.databaseSeconds = 0;
    this.bytes = 0;
    this.latency.clear();
  }

  /** The anomalies of the last closed interval. */
  anomalies(): TenantAnomaly[] {
    const anomalies: TenantAnomaly[] = [];
    for (const [signal, baseline] of this.baselines()) {
      if (baseline.flagged) {
        anomalies.push({ signal, value: baseline.value, baseline: baseline.baseline, sinceMillis: baseline.sinceMillis });
      }
    }
    return anomalies;
  }

  flaggedSignals(): AnomalySignal[] {
    return this.baselines()
      .filter(([, baseline]) => baseline.flagged)
      .map(([signal]) => signal);
  }

  private baselines(): [AnomalySignal, SignalBaseline][] {
    return [
      ['error_rate', this.errorRate],
      ['latency_p95', this.latencyP95],
    ];
  }
}

/** Totals of an interval over the tenants given; `__overflow__` is one profile, so it counts as one tenant. */
export function intervalTotals(intervals: Iterable<TenantInterval>): IntervalTotals {
  const totals: IntervalTotals = { requestSeconds: 0, databaseSeconds: 0, bytes: 0 };
  for (const interval of intervals) {
    totals.requestSeconds += interval.requestSeconds;
    totals.databaseSeconds += interval.databaseSeconds;
    totals.bytes += interval.bytes;
  }
  return totals;
}

function share(part: number, total: number): number {
  return total > 0 ? part / total : 0;
}
