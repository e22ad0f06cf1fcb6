import type { MemoryBudget } from '../memory-budget.js';
import { SeriesStore, type Generation } from './series-store.js';

/**
 * Explicit-bucket histograms. With boundaries [b0, b1, …, bn-1] there are n + 1 buckets: bucket 0 counts values
 * ≤ b0, bucket i counts b(i-1) < v ≤ bi, and bucket n counts values > bn-1 (the OpenTelemetry convention). For
 * boundaries [0.1, 1] the values 0.05, 0.1, 0.5 and 3 give counts [2, 1, 1].
 *
 * Like SumStore, bucket counts and the sum hold what has not been accepted by the backend yet; an accepted export
 * subtracts what it carried. Counts are 32-bit, so a series may take 2^32 values per export interval.
 * min and max cover the same values: an export takes them and resets them, and a failed export merges them back.
 *
 * Each series is one record of `stride` bytes in a single buffer — sum, min, max as float64, then the bucket
 * counts as uint32 — so that recording a value touches one or two cache lines rather than one per field.
 */
export class HistogramStore extends SeriesStore {
  readonly boundaries: readonly number[];
  readonly buckets: number;
  private readonly bounds: Float64Array;
  /** Float64 slots per series (the stride in bytes / 8). */
  private readonly floatStride: number;
  private floats = new Float64Array(0);
  private words = new Uint32Array(0);

  constructor(
    keyWords: 1 | 2 | 3,
    boundaries: readonly number[],
    maxSeries: number,
    budget: MemoryBudget,
    nowMillis: number,
    generation?: Generation,
  ) {
    super(keyWords, maxSeries, budget, nowMillis, generation);
    this.boundaries = boundaries;
    this.bounds = Float64Array.from(boundaries);
    this.buckets = boundaries.length + 1;
    this.floatStride = STATS + Math.ceil(this.buckets / 2);
    this.init(nowMillis);
  }

  record(series: number, value: number): void {
    const bounds = this.bounds;
    let bucket = 0;
    // Linear scan: with ≤ 16 boundaries it beats a binary search, and most values land in the first buckets.
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    const floats = this.floats;
    const at = series * this.floatStride;
    this.words[(at + STATS) * 2 + bucket]++;
    floats[at + SUM] += value;
    if (value < floats[at + MIN]) floats[at + MIN] = value;
    if (value > floats[at + MAX]) floats[at + MAX] = value;
  }

  hasPending(series: number): boolean {
    return this.deltaCount(series) !== 0;
  }

  /** Values recorded and not yet exported. */
  deltaCount(series: number): number {
    let count = 0;
    const at = (series * this.floatStride + STATS) * 2;
    for (let b = 0; b < this.buckets; b++) count += this.words[at + b];
    return count;
  }

  deltaBuckets(series: number): number[] {
    return Array.from(this.deltaBucketCounts(series));
  }

  /** A copy of the series' pending bucket counts, as an export point carries them. */
  deltaBucketCounts(series: number): Uint32Array {
    const at = (series * this.floatStride + STATS) * 2;
    return this.words.slice(at, at + this.buckets);
  }

  deltaSum(series: number): number {
    return this.floats[series * this.floatStride + SUM];
  }

  /** Copies the series' pending bucket counts to `into[at …]` (an export run's columns); returns their total. */
  copyDeltaBuckets(series: number, into: Uint32Array, at: number): number {
    const from = (series * this.floatStride + STATS) * 2;
    const words = this.words;
    let count = 0;
    for (let b = 0; b < this.buckets; b++) {
      const n = words[from + b];
      into[at + b] = n;
      count += n;
    }
    return count;
  }

  /** The backend accepted the buckets at `buckets[at …]` and this sum (commit, from an export run's columns). */
  commitAt(series: number, buckets: Uint32Array, at: number, sum: number): void {
    const to = (series * this.floatStride + STATS) * 2;
    for (let b = 0; b < this.buckets; b++) this.words[to + b] -= buckets[at + b];
    this.floats[series * this.floatStride + SUM] -= sum;
  }

  /** Takes min and max for an export, leaving them empty for the values that arrive meanwhile. */
  takeExtremes(series: number): { min: number; max: number } {
    const at = series * this.floatStride;
    const extremes = { min: this.floats[at + MIN], max: this.floats[at + MAX] };
    this.floats[at + MIN] = Infinity;
    this.floats[at + MAX] = -Infinity;
    return extremes;
  }

  /** The backend accepted these buckets and this sum: they are no longer pending. */
  commit(series: number, buckets: ArrayLike<number>, sum: number): void {
    const at = (series * this.floatStride + STATS) * 2;
    for (let b = 0; b < this.buckets; b++) this.words[at + b] -= buckets[b];
    this.floats[series * this.floatStride + SUM] -= sum;
  }

  /** Takes min for an export (takeExtremes without its object: the collection's per-point path). */
  takeMin(series: number): number {
    const at = series * this.floatStride + MIN;
    const min = this.floats[at];
    this.floats[at] = Infinity;
    return min;
  }

  /** Takes max for an export, as takeMin. */
  takeMax(series: number): number {
    const at = series * this.floatStride + MAX;
    const max = this.floats[at];
    this.floats[at] = -Infinity;
    return max;
  }

  /** A failed export: give min and max back, so that the next export still covers them. */
  restoreExtremes(series: number, min: number, max: number): void {
    const at = series * this.floatStride;
    if (min < this.floats[at + MIN]) this.floats[at + MIN] = min;
    if (max > this.floats[at + MAX]) this.floats[at + MAX] = max;
  }

  protected columnBytesPerSeries(): number {
    return (STATS + Math.ceil((this.boundaries.length + 1) / 2)) * 8;
  }

  protected resizeColumns(capacity: number, used: number): void {
    const stride = this.floatStride;
    const buffer = new ArrayBuffer(capacity * stride * 8);
    const floats = new Float64Array(buffer);
    floats.set(this.floats.subarray(0, Math.min(this.floats.length, floats.length)));
    for (let series = used; series < capacity; series++) this.clear(floats, series);
    this.floats = floats;
    this.words = new Uint32Array(buffer);
  }

  protected resetColumns(series: number): void {
    this.clear(this.floats, series);
  }

  private clear(floats: Float64Array, series: number): void {
    const at = series * this.floatStride;
    floats.fill(0, at, at + this.floatStride);
    floats[at + MIN] = Infinity;
    floats[at + MAX] = -Infinity;
  }
}

/** Float64 slots of a series record: sum, min, max, then the counts (two uint32 per float64 slot). */
const SUM = 0;
const MIN = 1;
const MAX = 2;
const STATS = 3;
