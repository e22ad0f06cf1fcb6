import type { MemoryBudget } from './memory-budget.js';
import { SeriesStore, copyInto } from './series-store.js';

/**
 * Explicit-bucket histograms. With boundaries [b0, b1, …, bn-1] there are n + 1 buckets: bucket 0 counts values
 * ≤ b0, bucket i counts b(i-1) < v ≤ bi, and bucket n counts values > bn-1 (the OpenTelemetry convention). For
 * boundaries [0.1, 1] the values 0.05, 0.1, 0.5 and 3 give counts [2, 1, 1].
 *
 * Like SumStore, bucket counts and the sum hold what has not been accepted by the backend yet; an accepted export
 * subtracts what it carried. Counts are 32-bit, so a series may take 2^32 values per export interval.
 * min and max cover the same values: an export takes them and resets them, and a failed export merges them back.
 */
export class HistogramStore extends SeriesStore {
  readonly boundaries: readonly number[];
  readonly buckets: number;
  counts: Uint32Array = new Uint32Array(0);
  sums: Float64Array = new Float64Array(0);
  mins: Float64Array = new Float64Array(0);
  maxes: Float64Array = new Float64Array(0);
  private readonly bounds: Float64Array;

  constructor(keyWords: 1 | 2 | 3, boundaries: readonly number[], maxSeries: number, budget: MemoryBudget, nowMillis: number) {
    super(keyWords, maxSeries, budget, nowMillis);
    this.boundaries = boundaries;
    this.bounds = Float64Array.from(boundaries);
    this.buckets = boundaries.length + 1;
    this.init(nowMillis);
  }

  record(series: number, value: number): void {
    const bounds = this.bounds;
    let bucket = 0;
    // Linear scan: with ≤ 16 boundaries it beats a binary search, and most values land in the first buckets.
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    this.counts[series * this.buckets + bucket]++;
    this.sums[series] += value;
    if (value < this.mins[series]) this.mins[series] = value;
    if (value > this.maxes[series]) this.maxes[series] = value;
  }

  /** Values recorded and not yet exported. */
  deltaCount(series: number): number {
    let count = 0;
    const at = series * this.buckets;
    for (let b = 0; b < this.buckets; b++) count += this.counts[at + b];
    return count;
  }

  deltaBuckets(series: number): number[] {
    const at = series * this.buckets;
    return Array.from(this.counts.subarray(at, at + this.buckets));
  }

  deltaSum(series: number): number {
    return this.sums[series];
  }

  /** Takes min and max for an export, leaving them empty for the values that arrive meanwhile. */
  takeExtremes(series: number): { min: number; max: number } {
    const extremes = { min: this.mins[series], max: this.maxes[series] };
    this.mins[series] = Infinity;
    this.maxes[series] = -Infinity;
    return extremes;
  }

  /** The backend accepted these buckets and this sum: they are no longer pending. */
  commit(series: number, buckets: readonly number[], sum: number): void {
    const at = series * this.buckets;
    for (let b = 0; b < this.buckets; b++) this.counts[at + b] -= buckets[b];
    this.sums[series] -= sum;
  }

  /** A failed export: give min and max back, so that the next export still covers them. */
  restoreExtremes(series: number, min: number, max: number): void {
    if (min < this.mins[series]) this.mins[series] = min;
    if (max > this.maxes[series]) this.maxes[series] = max;
  }

  protected columnBytesPerSeries(): number {
    return (this.boundaries.length + 1) * 4 + 24;
  }

  protected resizeColumns(capacity: number, used: number): void {
    const buckets = this.boundaries.length + 1;
    this.counts = copyInto(new Uint32Array(capacity * buckets), this.counts);
    this.sums = copyInto(new Float64Array(capacity), this.sums);
    const mins = copyInto(new Float64Array(capacity), this.mins);
    const maxes = copyInto(new Float64Array(capacity), this.maxes);
    mins.fill(Infinity, used);
    maxes.fill(-Infinity, used);
    this.mins = mins;
    this.maxes = maxes;
  }

  protected resetColumns(series: number): void {
    const at = series * this.buckets;
    this.counts.fill(0, at, at + this.buckets);
    this.sums[series] = 0;
    this.mins[series] = Infinity;
    this.maxes[series] = -Infinity;
  }
}
