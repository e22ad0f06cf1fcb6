import type { ActivityPattern, AnomalySignal, CostShare, TenantAnomaly } from '../../src/contract/analytics.js';
import type { LogSketch, SketchMark } from '../../src/sketch/log-sketch.js';
import { ANOMALY_RULE, errorRateFloor, latencyFloor, SignalBaseline } from './anomaly-baseline.js';

/** A tenant's counters since it was first seen, as its profile keeps them; an interval is a difference of two. */
export interface TenantTotals {
  requests: number;
  serverErrors: number;
  queries: number;
  requestSeconds: number;
  databaseSeconds: number;
  /** Request and response body bytes, plus recordTenantResource usage whose data type is 'bytes'. */
  bytes: number;
}

/** What a shard's tenants used in one interval, the denominators of the cost shares. */
export type IntervalTotals = Pick<TenantTotals, 'requestSeconds' | 'databaseSeconds' | 'bytes'>;

/** The mark of a sketch before its first value: a tenant's first interval holds everything up to its close. */
const EMPTY_MARK: SketchMark = Object.freeze({ offset: 0, used: 0, counts: new Float64Array(0), zeroCount: 0, count: 0 });
const ZERO: TenantTotals = { requests: 0, serverErrors: 0, queries: 0, requestSeconds: 0, databaseSeconds: 0, bytes: 0 };

/**
 * One tenant's export intervals (docs/tenants.md, "Cost shares" and "Anomalies"): the profile's totals and latency
 * sketch as of the last close (an interval is what they grew by since, so recording a request costs nothing
 * more), its anomaly baselines, and what its last closed interval came to. Part of the tenant's profile, so it is
 * forgotten with it (TenantProfiles.forgetIds, registered at the shard's forget point). Memory: a copy of the
 * latency sketch's buckets (reused from close to close) and a few numbers.
 */
export class TenantInterval {
  private mark: TenantTotals = ZERO;
  private latencyMark: SketchMark = EMPTY_MARK;
  readonly errorRate = new SignalBaseline();
  readonly latencyP95 = new SignalBaseline();
  /** The last closed interval's shares; null when the tenant did nothing in it. */
  costShare: CostShare | null = null;
  /** The tenant had shares at the close before the last and none at the last: the metric sends 0 once. */
  sharesEnded = false;
  /** The tenant's pattern at the last close; undefined when it was not seen in the hour before. */
  pattern: ActivityPattern | undefined;
  /** The pattern at the close before the last, when it differed from the last: the metric sends 0 once for it. */
  formerPattern: ActivityPattern | undefined;
  /** Signals flagged at the close before the last and not at the last: the metric sends 0 once for them. */
  cleared: AnomalySignal[] = [];

  /** What the tenant did since the last close, given its totals now. */
  since(totals: TenantTotals): TenantTotals {
    const mark = this.mark;
    return {
      requests: totals.requests - mark.requests,
      serverErrors: totals.serverErrors - mark.serverErrors,
      queries: totals.queries - mark.queries,
      requestSeconds: totals.requestSeconds - mark.requestSeconds,
      databaseSeconds: totals.databaseSeconds - mark.databaseSeconds,
      bytes: totals.bytes - mark.bytes,
    };
  }

  /**
   * Closes the interval `figures` (= since(totals)): shares of the shard's `shard` totals (a resource nobody used
   * gets share 0), then each signal judged against its baseline and folded in; the next interval starts here.
   */
  close(figures: TenantTotals, totals: TenantTotals, shard: IntervalTotals, latency: LogSketch, nowMillis: number): void {
    const active = figures.requests > 0 || figures.queries > 0 || figures.bytes > 0;
    this.sharesEnded = !active && this.costShare !== null;
    this.costShare = active
      ? {
          request_time: share(figures.requestSeconds, shard.requestSeconds),
          database_time: share(figures.databaseSeconds, shard.databaseSeconds),
          bytes: share(figures.bytes, shard.bytes),
        }
      : null;
    const wasFlagged = this.flaggedSignals();
    if (figures.requests >= ANOMALY_RULE.minRequests) {
      this.errorRate.observe(figures.serverErrors / figures.requests, errorRateFloor(), nowMillis);
      this.latencyP95.observe(latency.quantileSince(this.latencyMark, 0.95), latencyFloor(this.latencyP95.mean), nowMillis);
    } else {
      this.errorRate.skip();
      this.latencyP95.skip();
    }
    const flagged = this.flaggedSignals();
    this.cleared = wasFlagged.filter((signal) => !flagged.includes(signal));
    // Nothing happened: the totals and the sketch are what they were at the last close, so the marks stand.
    if (!active) return;
    this.mark = { ...totals };
    this.latencyMark = latency.mark(this.latencyMark === EMPTY_MARK ? undefined : this.latencyMark);
  }

  /** Sets the pattern found at this close, remembering the one it replaces. */
  setPattern(pattern: ActivityPattern | undefined): void {
    this.formerPattern = this.pattern !== pattern ? this.pattern : undefined;
    this.pattern = pattern;
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

function share(part: number, total: number): number {
  return total > 0 ? part / total : 0;
}
