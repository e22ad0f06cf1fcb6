import type { MemoryBudget } from './memory-budget.js';
import { SeriesStore, copyInto } from './series-store.js';

/**
 * Explicit-bucket histograms. With boundaries [b0, b1, …, bn-1] there are n + 1 buckets: bucket 0 counts values
 * ≤ b0, bucket i counts b(i-1) < v ≤ bi, and bucket n counts values > bn-1 (the OpenTelemetry convention). For
 * boundaries [0.1, 1] the values 0.05, 0.1, 0.5 and 3 give counts [2, 1, 1].
 *
 * Bucket counts and the sum are cumulative, beside their values at the last successful export (see SumStore).
 * Counts are 32-bit and compared with wrap-around, so a series may take 2^32 values per export interval.
 * min and max cover the values since the last successful export: an export takes them and resets them, and a
 * failed export merges them back.
 */
export class HistogramStore extends SeriesStore {
  readonly boundaries: readonly number[];
  readonly buckets: number;
  counts: Uint32Array = new Uint32Array(0);
  exportedCounts: Uint32Array = new Uint32Array(0);
  sums: Float64Array = new Float64Array(0);
  exportedSums: Float64Array = new Float64Array(0);
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

  /** Values recorded since the last successful export. */
  deltaCount(series: number): number {
    let count = 0;
    const at = series * this.buckets;
    for (let b = 0; b < this.buckets; b++) count += (this.counts[at + b] - this.exportedCounts[at + b]) >>> 0;
    return count;
  }

  deltaBuckets(series: number): number[] {
    const at = series * this.buckets;
    const result = new Array<number>(this.buckets);
    for (let b = 0; b < this.buckets; b++) result[b] = (this.counts[at + b] - this.exportedCounts[at + b]) >>> 0;
    return result;
  }

  deltaSum(series: number): number {
    return this.sums[series] - this.exportedSums[series];
  }

  /** Takes min and max for an export, leaving them empty for the values that arrive meanwhile. */
  takeExtremes(series: number): { min: number; max: number } {
    const extremes = { min: this.mins[series], max: this.maxes[series] };
    this.mins[series] = Infinity;
    this.maxes[series] = -Infinity;
    return extremes;
  }

  /** An accepted export carried these buckets and this sum: move the baselines forward by them. */
  commit(series: number, buckets: readonly number[], sum: number): void {
    const at = series * this.buckets;
    for (let b = 0; b < this.buckets; b++) this.exportedCounts[at + b] = (this.exportedCounts[at + b] + buckets[b]) >>> 0;
    this.exportedSums[series] += sum;
  }

  /** A failed export: give min and max back, so that the next export still covers them. */
  restoreExtremes(series: number, min: number, max: number): void {
    if (min < this.mins[series]) this.mins[series] = min;
    if (max > this.maxes[series]) this.maxes[series] = max;
  }

  protected columnBytesPerSeries(): number {
    return (this.boundaries.length + 1) * 8 + 32;
  }

  protected resizeColumns(capacity: number, used: number): void {
    const buckets = this.boundaries.length + 1;
    this.counts = copyInto(new Uint32Array(capacity * buckets), this.counts);
    this.exportedCounts = copyInto(new Uint32Array(capacity * buckets), this.exportedCounts);
    this.sums = copyInto(new Float64Array(capacity), this.sums);
    this.exportedSums = copyInto(new Float64Array(capacity), this.exportedSums);
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
    this.exportedCounts.fill(0, at, at + this.buckets);
    this.sums[series] = 0;
    this.exportedSums[series] = 0;
    this.mins[series] = Infinity;
    this.maxes[series] = -Infinity;
  }
}
