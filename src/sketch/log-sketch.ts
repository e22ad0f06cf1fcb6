/**
 * A mergeable quantile sketch with a bounded relative error (DDSketch-style logarithmic buckets; Masson, Rim and
 * Lee, VLDB 2019). A positive value v falls in bucket i = ceil(log(v) / log(γ)) with γ = (1 + α) / (1 − α);
 * every value in a bucket is within α of the bucket's representative 2γ^i / (γ + 1), so a quantile read from the
 * sketch is within α = 1 % of the sample value at the same rank, however skewed the distribution.
 *
 * Memory: one count per bucket between the smallest and the largest bucket seen, kept dense, in the narrowest
 * unsigned integer that holds the largest count (1 byte per bucket until a bucket passes 255, then 2, then 4, then
 * a float64 past 2^32 − 1: widened in place, never saturated, so counts stay exact). With α = 1 % a decade spans
 * 116 buckets, so request latencies from 1 ms to 2 s take ~380 buckets: 380 bytes for a tenant with up to 255
 * requests in any one bucket, 760 up to 65,535 (a float64 per bucket took 3 KiB). MAX_BUCKETS bounds any sketch
 * however wide its values: past it the lowest buckets are folded into one (the low quantiles lose their accuracy
 * first, the p50/p95/p99 that matter keep theirs). Values at or below MIN_TRACKED_VALUE (1 ns in seconds) count in
 * a zero bucket. A sketch made with a `grow` callback (the worker's, charged to its memory budget) asks it before
 * its bucket array grows; refused, a value beyond the array counts in its nearest edge bucket: counts and sums stay
 * exact, only the extreme quantiles lose accuracy. A widening is told to the callback too, `forced`: it cannot be
 * refused (the alternative is a wrong count), and it happens at most three times per sketch.
 *
 * Both threads use this file: the worker records into sketches; the main thread merges the snapshots of several
 * shards (one route spans shards) and reads quantiles from them.
 */
import type { SketchSnapshot } from '../contract/analytics.js';

/** The snapshot's shape is the contract's (it crosses threads): re-exported for the sketch's readers. */
export type { SketchSnapshot };

export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
export const MIN_TRACKED_VALUE = 1e-9;
/** Buckets a sketch keeps at most: γ^2048 ≈ 10^17.8, far more than any latency range. */
export const MAX_BUCKETS = 2048;
const INITIAL_BUCKETS = 64;

/**
 * Asked before a sketch's bucket array grows from `fromBuckets` to `toBuckets`, which costs `addedBytes` more
 * (bucketArrayBytes); false refuses the growth. `forced`: a widening of the counts (same buckets, wider integers),
 * which happens whatever the answer: the callback accounts it.
 */
export type SketchGrowth = (fromBuckets: number, toBuckets: number, addedBytes: number, forced: boolean) => boolean;

/** A sketch's bucket array: the narrowest type that holds its counts (see the file comment). */
export type BucketCounts = Uint8Array | Uint16Array | Uint32Array | Float64Array;

/** The widths a bucket array goes through, narrowest first, with the largest count each holds. */
const WIDTHS = [
  { make: (length: number): BucketCounts => new Uint8Array(length), bytes: 1, max: 0xff },
  { make: (length: number): BucketCounts => new Uint16Array(length), bytes: 2, max: 0xffff },
  { make: (length: number): BucketCounts => new Uint32Array(length), bytes: 4, max: 0xffff_ffff },
  { make: (length: number): BucketCounts => new Float64Array(length), bytes: 8, max: Number.MAX_SAFE_INTEGER },
] as const;

/**
 * V8 keeps a typed array of at most 64 bytes inside its heap object; a larger one has a native backing store of its
 * own, whose objects and allocation cost ~256 bytes beside the buckets (measured, test/memory-costs.long.test.ts).
 */
const IN_HEAP_ARRAY_BYTES = 64;
export const NATIVE_ARRAY_OVERHEAD_BYTES = 256;

/** What a bucket array of `byteLength` bytes costs beyond the sketch's own object. */
export function bucketArrayBytes(byteLength: number): number {
  return byteLength + (byteLength > IN_HEAP_ARRAY_BYTES ? NATIVE_ARRAY_OVERHEAD_BYTES : 0);
}

/** A sketch's bucket counts at one moment (LogSketch.mark), to read quantiles of what came after. */
export interface SketchMark {
  offset: number;
  used: number;
  counts: BucketCounts;
  zeroCount: number;
  count: number;
}

export class LogSketch {
  private counts: BucketCounts;
  /** Index in WIDTHS of the counts' type. */
  private width = 0;
  /** The largest count the counts' type holds. */
  private maxCount: number = WIDTHS[0].max;
  /** Bucket index of counts[0]; meaningful once `used` > 0. */
  private offset = 0;
  /** Buckets in use, from counts[0]. */
  private used = 0;
  private zeroCount = 0;
  count = 0;
  sum = 0;
  min = Number.NaN;
  max = Number.NaN;

  /** `initialBuckets`: the array's first size; `grow`: asked before it grows (none: it grows up to MAX_BUCKETS). */
  constructor(
    initialBuckets = INITIAL_BUCKETS,
    private readonly grow?: SketchGrowth,
  ) {
    this.counts = WIDTHS[0].make(initialBuckets);
  }

  /** Adds `value` (≥ 0, finite; anything else is ignored: the record was validated before it got here). */
  add(value: number, weight = 1): void {
    if (!(value >= 0) || value === Number.POSITIVE_INFINITY) return;
    this.count += weight;
    this.sum += value * weight;
    if (!(this.min <= value)) this.min = value;
    if (!(this.max >= value)) this.max = value;
    if (value <= MIN_TRACKED_VALUE) {
      this.zeroCount += weight;
      return;
    }
    this.addToBucket(Math.ceil(Math.log(value) / LOG_GAMMA), weight);
  }

  /** Adds every value of `other` (a snapshot from any thread). */
  merge(other: SketchSnapshot): void {
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    if (!(this.min <= other.min)) this.min = other.min;
    if (!(this.max >= other.max)) this.max = other.max;
    this.zeroCount += other.zeroCount;
    for (let i = 0; i < other.counts.length; i++) {
      const weight = other.counts[i] ?? 0;
      if (weight > 0) this.addToBucket(other.offset + i, weight);
    }
  }

  /** The value at quantile q (0..1) within RELATIVE_ACCURACY; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    // The sample value of rank floor(q·(n−1)) (0-based), as a sorted array would give it.
    const rank = Math.floor(Math.min(Math.max(q, 0), 1) * (this.count - 1));
    // The extremes are known exactly.
    if (rank === 0) return this.min;
    if (rank >= this.count - 1) return this.max;
    if (rank < this.zeroCount) return Math.min(this.min, MIN_TRACKED_VALUE);
    let seen = this.zeroCount;
    for (let i = 0; i < this.used; i++) {
      seen += this.counts[i] ?? 0;
      if (seen > rank) return clamp(representative(this.offset + i), this.min, this.max);
    }
    return this.max;
  }

  /** Values strictly above `threshold`, within the bucket holding it (used for slow-query counts). */
  countAbove(threshold: number): number {
    if (threshold <= MIN_TRACKED_VALUE) return this.count - this.zeroCount;
    const index = Math.ceil(Math.log(threshold) / LOG_GAMMA);
    let above = 0;
    for (let i = Math.max(0, index - this.offset + 1); i < this.used; i++) above += this.counts[i] ?? 0;
    return above;
  }

  /** Bytes this sketch holds (for memory budgets): its bucket array plus a fixed overhead. */
  get bytes(): number {
    return bucketArrayBytes(this.counts.byteLength) + 96;
  }

  /** Bytes per bucket now (1, 2, 4 or 8: see the file comment). */
  get bytesPerBucket(): number {
    return WIDTHS[this.width].bytes;
  }

  snapshot(): SketchSnapshot {
    return {
      offset: this.offset,
      counts: Array.from(this.counts.subarray(0, this.used)),
      zeroCount: this.zeroCount,
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
    };
  }

  /**
   * The sketch's buckets as of now, so that `quantileSince` can read the quantiles of the values added after: a
   * per-interval quantile at no cost per value. `reuse` (an older mark of this sketch) keeps its array when large
   * enough. If the sketch folded its lowest buckets (MAX_BUCKETS) in between, the lowest bucket's difference is
   * off; the high quantiles are not affected.
   */
  mark(reuse?: SketchMark): SketchMark {
    const fits = reuse !== undefined && reuse.counts.length >= this.used && reuse.counts.BYTES_PER_ELEMENT === this.bytesPerBucket;
    const counts = fits ? reuse.counts : WIDTHS[this.width].make(this.used);
    counts.set(this.counts.subarray(0, this.used));
    counts.fill(0, this.used);
    return { offset: this.offset, used: this.used, counts, zeroCount: this.zeroCount, count: this.count };
  }

  /** Values added since `mark` was taken (of this sketch). */
  countSince(mark: SketchMark): number {
    return this.count - mark.count;
  }

  /**
   * The value at quantile q (0..1) of the values added since `mark`, within RELATIVE_ACCURACY; NaN when none was.
   * Unlike `quantile`, not clamped to a minimum and maximum (the sketch keeps those over all values only).
   */
  quantileSince(mark: SketchMark, q: number): number {
    const count = this.count - mark.count;
    if (count <= 0) return Number.NaN;
    const rank = Math.floor(Math.min(Math.max(q, 0), 1) * (count - 1));
    let seen = this.zeroCount - mark.zeroCount;
    if (rank < seen) return 0;
    for (let i = 0; i < this.used; i++) {
      const index = this.offset + i;
      const before = index >= mark.offset && index < mark.offset + mark.used ? mark.counts[index - mark.offset] : 0;
      seen += (this.counts[i] ?? 0) - before;
      if (seen > rank) return representative(index);
    }
    return this.max;
  }

  static from(snapshot: SketchSnapshot): LogSketch {
    const sketch = new LogSketch();
    sketch.merge(snapshot);
    return sketch;
  }

  private addToBucket(index: number, weight: number): void {
    if (this.used === 0) {
      this.offset = index;
      this.used = 1;
      this.bump(0, weight);
      return;
    }
    if (index < this.offset) {
      const shift = this.offset - index;
      if (this.used + shift > MAX_BUCKETS || !this.ensureCapacity(this.used + shift)) {
        // Too wide, or the growth refused: fold the new low value into the lowest bucket.
        this.bump(0, weight);
        return;
      }
      this.counts.copyWithin(shift, 0, this.used);
      this.counts.fill(0, 0, shift);
      this.offset = index;
      this.used += shift;
      this.bump(0, weight);
      return;
    }
    let position = index - this.offset;
    if (position >= MAX_BUCKETS) {
      // Too wide: fold the lowest buckets together so the high end (the tail quantiles) stays exact.
      const fold = position - MAX_BUCKETS + 1;
      let folded = 0;
      for (let i = 0; i <= Math.min(fold, this.used - 1); i++) folded += this.counts[i] ?? 0;
      this.counts.copyWithin(0, fold, this.used);
      this.used = Math.max(1, this.used - fold);
      this.counts.fill(0, this.used);
      this.counts[0] = 0;
      this.bump(0, folded);
      this.offset += fold;
      position = index - this.offset;
    }
    if (position >= this.used) {
      // The growth refused: the value counts in the highest bucket the array holds.
      if (!this.ensureCapacity(position + 1)) position = this.counts.length - 1;
      this.used = Math.max(this.used, position + 1);
    }
    this.bump(position, weight);
  }

  /** Adds `weight` to bucket `position`, widening the counts first if the sum would not fit. */
  private bump(position: number, weight: number): void {
    const sum = this.counts[position] + weight;
    if (sum > this.maxCount) this.widen(sum);
    this.counts[position] = sum;
  }

  /** Moves the counts to the narrowest wider type that holds `count` (forced: see SketchGrowth). */
  private widen(count: number): void {
    let width = this.width;
    while (WIDTHS[width].max < count && width < WIDTHS.length - 1) width++;
    const length = this.counts.length;
    const from = bucketArrayBytes(this.counts.byteLength);
    const wider = WIDTHS[width].make(length);
    wider.set(this.counts.subarray(0, this.used));
    this.grow?.(length, length, bucketArrayBytes(wider.byteLength) - from, true);
    this.counts = wider;
    this.width = width;
    this.maxCount = WIDTHS[width].max;
  }

  /** Grows the bucket array to hold `buckets`; false when the growth was refused (nothing changed). */
  private ensureCapacity(buckets: number): boolean {
    if (buckets <= this.counts.length) return true;
    const length = Math.min(MAX_BUCKETS, Math.max(buckets, this.counts.length * 2));
    const { bytes, make } = WIDTHS[this.width];
    const addedBytes = bucketArrayBytes(length * bytes) - bucketArrayBytes(this.counts.byteLength);
    if (this.grow !== undefined && !this.grow(this.counts.length, length, addedBytes, false)) return false;
    const grown = make(length);
    grown.set(this.counts.subarray(0, this.used));
    this.counts = grown;
    return true;
  }
}

/** Merges snapshots (of one route from several shards, say) into one sketch. */
export function mergeSketches(snapshots: Iterable<SketchSnapshot>): LogSketch {
  const merged = new LogSketch();
  for (const snapshot of snapshots) merged.merge(snapshot);
  return merged;
}

function representative(index: number): number {
  return (2 * GAMMA ** index) / (GAMMA + 1);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}
