import { bucketIndex, MAX_SCALE, MIN_SCALE, scaleReduction } from './exponential-mapping.js';
import type { MemoryBudget } from '../memory-budget.js';
import { SeriesStore, type Generation } from './series-store.js';
import type { ExponentialPointView } from '../export/otlp/metrics-writer.js';

/** The view an export reads a taken series through is the writer's (metrics-writer.ts): re-exported for the store's readers. */
export type { ExponentialPointView };

/** The specification's defaults (metrics/sdk.md, "Base2 Exponential Bucket Histogram Aggregation"). */
export const DEFAULT_MAX_SIZE = 160;
export const DEFAULT_MAX_SCALE = MAX_SCALE;
/** Fewer than two buckets cannot hold two different values at any scale (the SDK's minimum too). */
const MIN_MAX_SIZE = 2;

export interface ExponentialHistogramOptions {
  /** Buckets of the positive range, the zero bucket not counted. [default: 160] */
  maxSize?: number;
  /** The scale a series starts at (and keeps while its values fit). [default: 20] */
  maxScale?: number;
}

/**
 * Base-2 exponential histograms of durations, one per series, without an object per series or per record.
 *
 * Recording follows the OpenTelemetry SDK exactly (exponential-mapping.ts; a test feeds both the same values and
 * compares scale, offset and counts): a series starts at `maxScale`, and when a value's bucket would not fit with
 * the others into `maxSize` buckets the series is downscaled by as many halvings as it takes, the existing buckets
 * merged pairwise (perfect subsetting: exact), and the value mapped at the new scale.
 *
 * Only the positive range and the zero bucket exist: durations are never negative. A negative, NaN or infinite
 * value would have no bucket (and would corrupt sum, min and max), so it is refused and counted in `refused`.
 *
 * Delta temporality, like HistogramStore, holds what the backend has not accepted yet, but an exponential histogram
 * cannot subtract a sent histogram from one that has since changed scale. So an export *takes* a series: its state
 * moves to the series' taken slot, and the live slot starts again empty at `maxScale` (the SDK too starts every
 * delta interval afresh). `commit` forgets the taken slot; `abort` (the request failed) merges it back into the
 * live one, downscaling to a scale that holds both. A series has at most one taken point, so one export must settle
 * before the next takes the series again (the shard serialises its exports).
 *
 * Layout: each series is one record of `stride` float64 slots: the live slot, then the taken slot. A slot is sum,
 * min, max (float64), six int32 words (scale, first index, buckets in use, zero count, count, taken flag), then
 * `maxSize` uint32 bucket counts from the first index up; counts past the buckets in use are kept zero.
 */
export class ExponentialHistogramStore extends SeriesStore {
  readonly maxSize: number;
  readonly maxScale: number;
  /** Values refused because no bucket can hold them (negative, NaN, ±Infinity). */
  refused = 0;
  private readonly slotFloats: number;
  private readonly stride: number;
  private floats = new Float64Array(0);
  private ints = new Int32Array(0);
  private words = new Uint32Array(0);

  constructor(
    keyWords: 1 | 2 | 3,
    maxSeries: number,
    budget: MemoryBudget,
    nowMillis: number,
    options: ExponentialHistogramOptions = {},
    generation?: Generation,
  ) {
    super(keyWords, maxSeries, budget, nowMillis, generation);
    const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
    const maxScale = options.maxScale ?? DEFAULT_MAX_SCALE;
    if (!Number.isInteger(maxSize) || maxSize < MIN_MAX_SIZE || maxSize > 16_384)
      throw new RangeError(`exponential histogram maxSize must be an integer from ${MIN_MAX_SIZE} to 16384, got ${maxSize}`);
    if (!Number.isInteger(maxScale) || maxScale < MIN_SCALE || maxScale > MAX_SCALE)
      throw new RangeError(`exponential histogram maxScale must be an integer from ${MIN_SCALE} to ${MAX_SCALE}, got ${maxScale}`);
    this.maxSize = maxSize;
    this.maxScale = maxScale;
    this.slotFloats = HEADER + Math.ceil(maxSize / 2);
    this.stride = 2 * this.slotFloats;
    this.init(nowMillis);
  }

  record(series: number, value: number): void {
    // NaN fails both comparisons; Infinity has no bucket.
    if (!(value >= 0) || value === Infinity) {
      this.refused++;
      return;
    }
    const slot = series * this.stride;
    const floats = this.floats;
    const ints = this.ints;
    const at = slot * 2;
    if (value < floats[slot + MIN]) floats[slot + MIN] = value;
    if (value > floats[slot + MAX]) floats[slot + MAX] = value;
    ints[at + COUNT]++;
    if (value === 0) {
      ints[at + ZERO]++;
      return;
    }
    floats[slot + SUM] += value;
    let index = bucketIndex(value, ints[at + SCALE]);
    const length = ints[at + LENGTH];
    if (length === 0) {
      ints[at + START] = index;
      ints[at + LENGTH] = 1;
      this.words[at + COUNTS]++;
      return;
    }
    // Once, in practice: the SDK downscales once and maps the value at the new scale. The loop only guards the
    // buckets of the next slot should a logarithm land a value one bucket off at the new scale.
    for (;;) {
      const start = ints[at + START];
      const end = start + ints[at + LENGTH] - 1;
      const low = Math.min(index, start);
      const high = Math.max(index, end);
      if (high - low < this.maxSize) break;
      this.downscale(at, scaleReduction(low, high, this.maxSize));
      index = bucketIndex(value, ints[at + SCALE]);
    }
    this.increment(at, index, 1);
  }

  hasPending(series: number): boolean {
    const at = series * this.stride * 2;
    return this.ints[at + COUNT] !== 0 || this.ints[at + this.slotFloats * 2 + TAKEN] !== 0;
  }

  /** Whether the series' taken point is out in an export that has not settled yet. */
  isTaken(series: number): boolean {
    return this.ints[series * this.stride * 2 + this.slotFloats * 2 + TAKEN] !== 0;
  }

  /** Values recorded since the last take (those a take would carry now). */
  liveCount(series: number): number {
    return this.ints[series * this.stride * 2 + COUNT] >>> 0;
  }

  /**
   * Moves the series' values into its taken slot for an export and starts the live slot afresh. False when there
   * is nothing to take. Throws if the series' previous taken point has not been settled (a caller's bug: two
   * exports at once would send the same values twice).
   */
  take(series: number): boolean {
    const live = series * this.stride * 2;
    const taken = live + this.slotFloats * 2;
    if (this.ints[taken + TAKEN] !== 0) throw new Error(`exponential histogram series ${series} taken twice without a settlement`);
    if (this.ints[live + COUNT] === 0) return false;
    const length = this.ints[live + LENGTH];
    // Header and the buckets in use; the taken slot's counts past `length` are never read.
    this.ints.copyWithin(taken, live, live + COUNTS + length);
    this.ints[taken + TAKEN] = 1;
    this.clearSlot(live);
    return true;
  }

  /** Fills `view` with the series' taken point (after `take`). */
  readTaken(series: number, view: ExponentialPointView): ExponentialPointView {
    const taken = series * this.stride * 2 + this.slotFloats * 2;
    const ints = this.ints;
    const count = ints[taken + COUNT] >>> 0;
    const zeroCount = ints[taken + ZERO] >>> 0;
    // Only zeros: the scale means nothing and the SDK reports 0.
    view.scale = count === zeroCount ? 0 : ints[taken + SCALE];
    view.count = count;
    view.zeroCount = zeroCount;
    view.sum = this.floats[taken / 2 + SUM];
    view.min = this.floats[taken / 2 + MIN];
    view.max = this.floats[taken / 2 + MAX];
    view.offset = ints[taken + START];
    view.counts = this.words;
    view.countsAt = taken + COUNTS;
    view.countsLength = ints[taken + LENGTH];
    return view;
  }

  /** The backend accepted the taken point: it is no longer pending. */
  commit(series: number): void {
    this.ints[series * this.stride * 2 + this.slotFloats * 2 + TAKEN] = 0;
  }

  /** The request carrying the taken point failed: merge it back, so that the next export carries it. */
  abort(series: number): void {
    const live = series * this.stride * 2;
    const taken = live + this.slotFloats * 2;
    const ints = this.ints;
    if (ints[taken + TAKEN] === 0) return;
    ints[taken + TAKEN] = 0;
    const floats = this.floats;
    const liveF = live / 2;
    const takenF = taken / 2;
    floats[liveF + SUM] += floats[takenF + SUM];
    if (floats[takenF + MIN] < floats[liveF + MIN]) floats[liveF + MIN] = floats[takenF + MIN];
    if (floats[takenF + MAX] > floats[liveF + MAX]) floats[liveF + MAX] = floats[takenF + MAX];
    ints[live + COUNT] += ints[taken + COUNT];
    ints[live + ZERO] += ints[taken + ZERO];
    const takenLength = ints[taken + LENGTH];
    if (takenLength === 0) return;
    const liveLength = ints[live + LENGTH];
    const takenScale = ints[taken + SCALE];
    const takenStart = ints[taken + START];
    let scale = takenScale;
    let low = takenStart;
    let high = takenStart + takenLength - 1;
    if (liveLength !== 0) {
      // Both at the coarser of the two scales, then coarser still if together they need more than maxSize buckets.
      const liveScale = ints[live + SCALE];
      scale = Math.min(liveScale, takenScale);
      const liveStart = ints[live + START];
      low = Math.min(liveStart >> (liveScale - scale), takenStart >> (takenScale - scale));
      high = Math.max((liveStart + liveLength - 1) >> (liveScale - scale), (takenStart + takenLength - 1) >> (takenScale - scale));
      scale -= scaleReduction(low, high, this.maxSize);
      this.downscale(live, liveScale - scale);
    } else {
      ints[live + SCALE] = scale;
    }
    const shift = takenScale - scale;
    const words = this.words;
    for (let i = 0; i < takenLength; i++) {
      const n = words[taken + COUNTS + i];
      if (n !== 0) this.increment(live, (takenStart + i) >> shift, n);
    }
  }

  protected columnBytesPerSeries(): number {
    return this.stride * 8;
  }

  protected resizeColumns(capacity: number, used: number): void {
    const buffer = new ArrayBuffer(capacity * this.stride * 8);
    const floats = new Float64Array(buffer);
    floats.set(this.floats.subarray(0, Math.min(this.floats.length, floats.length)));
    this.floats = floats;
    this.ints = new Int32Array(buffer);
    this.words = new Uint32Array(buffer);
    for (let series = used; series < capacity; series++) this.clearSeries(series);
  }

  protected resetColumns(series: number): void {
    this.floats.fill(0, series * this.stride, (series + 1) * this.stride);
    this.clearSeries(series);
  }

  private clearSeries(series: number): void {
    const live = series * this.stride * 2;
    this.clearSlot(live);
    this.clearSlot(live + this.slotFloats * 2);
  }

  /** Empties a slot (given as an int32 position): counts zeroed up to the buckets in use, scale back to maxScale. */
  private clearSlot(at: number): void {
    this.words.fill(0, at + COUNTS, at + COUNTS + this.ints[at + LENGTH]);
    const f = at / 2;
    this.floats[f + SUM] = 0;
    this.floats[f + MIN] = Infinity;
    this.floats[f + MAX] = -Infinity;
    this.ints[at + SCALE] = this.maxScale;
    this.ints[at + START] = 0;
    this.ints[at + LENGTH] = 0;
    this.ints[at + ZERO] = 0;
    this.ints[at + COUNT] = 0;
    this.ints[at + TAKEN] = 0;
  }

  /** Adds `n` to bucket `index` of a slot, extending its buckets; the caller has made sure they fit in maxSize. */
  private increment(at: number, index: number, n: number): void {
    const ints = this.ints;
    const words = this.words;
    const length = ints[at + LENGTH];
    const counts = at + COUNTS;
    if (length === 0) {
      ints[at + START] = index;
      ints[at + LENGTH] = 1;
      words[counts] += n;
      return;
    }
    const start = ints[at + START];
    if (index < start) {
      // A new lowest bucket: move the others up. At most maxSize counts, and rare once a series has seen its range.
      const by = start - index;
      words.copyWithin(counts + by, counts, counts + length);
      words.fill(0, counts, counts + by);
      ints[at + START] = index;
      ints[at + LENGTH] = length + by;
      words[counts] += n;
      return;
    }
    if (index - start >= length) ints[at + LENGTH] = index - start + 1;
    words[counts + index - start] += n;
  }

  /** Lowers a slot's scale by `change`, merging its buckets: bucket i becomes bucket i >> change. */
  private downscale(at: number, change: number): void {
    if (change <= 0) return;
    const ints = this.ints;
    const words = this.words;
    ints[at + SCALE] -= change;
    const length = ints[at + LENGTH];
    if (length === 0) return;
    const start = ints[at + START];
    const newStart = start >> change;
    const counts = at + COUNTS;
    // In increasing order: bucket k moves to j ≤ k, so a count is always read before anything lands on it.
    for (let k = 0; k < length; k++) {
      const j = ((start + k) >> change) - newStart;
      if (j === k) continue;
      words[counts + j] += words[counts + k];
      words[counts + k] = 0;
    }
    ints[at + START] = newStart;
    ints[at + LENGTH] = ((start + length - 1) >> change) - newStart + 1;
  }
}

/** Float64 slots of a slot's header: sum, min, max, then six int32 words (three float64 slots). */
const SUM = 0;
const MIN = 1;
const MAX = 2;
const HEADER = 6;
/** Int32 positions within a slot (a float64 slot f spans int32 positions 2f and 2f + 1). */
const SCALE = 6;
const START = 7;
const LENGTH = 8;
const ZERO = 9;
const COUNT = 10;
const TAKEN = 11;
const COUNTS = HEADER * 2;
