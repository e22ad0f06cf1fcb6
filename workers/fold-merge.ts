import { KIND_HTTP, KIND_QUERY } from '../src/contract/codes.js';
import {
  FOLD_A,
  FOLD_A_BUCKETS,
  FOLD_A_SUM,
  FOLD_AUX,
  FOLD_B,
  FOLD_B_BUCKETS,
  FOLD_B_SUM,
  FOLD_COUNT,
  FOLD_ENTRY_FLOATS,
  FOLD_ENTRY_WORDS,
  FOLD_KEY,
  FOLD_LAST,
  FOLD_TAG,
  FOLD_TENANT,
  FOLD_VALUE_BUCKETS,
  FOLD_VALUE_MAX,
  FOLD_VALUE_MIN,
  FOLD_VALUE_SUM,
  valueBoundaries,
} from '../src/contract/fold-layout.js';
import { SIZE_BOUNDARIES } from '../src/contract/metrics.js';
import { A, AUX, B, KEY, TAG, TENANT, VALUE_FLOAT } from '../src/contract/ring-layout.js';
import type { RecordSink } from '../src/ring/ring-reader.js';

const TWO_TO_32 = 2 ** 32;
/** Replayed records between two heartbeats (a drain pass reads at most 65,536 ring records between two). */
const BEAT_RECORDS = 16_384;

/**
 * The worker's side of the fold (src/ring/fold-block.ts, contract/fold-layout.ts): a sealed fold block is merged by
 * replaying each entry as COUNT records through the shard's own record path (`sink`: the record check, the tenant
 * admission, the series, the profiles and sketches), so that the fold needs no second aggregation to keep in step
 * with the ring's. The replayed values are chosen per explicit bucket (BucketValues) so that every bucket count,
 * count, byte sum, minimum and maximum is exactly the folded records'. Returns the records the sink refused.
 *
 * The block arrived in a `spill` message after the main thread's last store to it (the post orders them before this
 * read) and the main thread never writes it again, so plain loads are enough here.
 */
export class FoldMerge {
  /** One scratch record, rewritten per replayed record (the sink reads it before the next). */
  private readonly words = new Uint32Array(8);
  private readonly floats = new Float64Array(this.words.buffer);
  private readonly values = new BucketValues();
  private readonly requestBytes = new BucketValues();
  private readonly responseBytes = new BucketValues();

  /** Records replayed in the current merge (for the heartbeat). */
  private replayed = 0;

  /**
   * `beat`: called every BEAT_RECORDS replayed records, so that a long merge is not taken for a hung worker.
   *
   * Order: entries are in the order of their series' first records. That is time order for everything the
   * aggregation adds up; a query's pool limit is a last value, so query entries are replayed after the others, in
   * the order of their last records (FOLD_LAST): the pool limit left is the one of the block's last query.
   */
  merge(buffer: SharedArrayBuffer, entries: number, sink: RecordSink, nowMillis: number, beat: () => void = () => {}): number {
    const block = new Uint32Array(buffer);
    const blockFloats = new Float64Array(buffer);
    this.replayed = 0;
    let refused = 0;
    let queryEntries = 0;
    for (let entry = 0; entry < entries; entry++) {
      if (isQuery(block, entry)) queryEntries++;
      else refused += this.replay(block, blockFloats, entry, sink, nowMillis, beat);
    }
    if (queryEntries === 0) return refused;
    const queries = new Int32Array(queryEntries);
    for (let entry = 0, i = 0; entry < entries; entry++) if (isQuery(block, entry)) queries[i++] = entry;
    queries.sort((x, y) => block[x * FOLD_ENTRY_WORDS + FOLD_LAST] - block[y * FOLD_ENTRY_WORDS + FOLD_LAST]);
    for (const entry of queries) refused += this.replay(block, blockFloats, entry, sink, nowMillis, beat);
    return refused;
  }

  /** Replays one entry as its COUNT records; returns those the sink refused. */
  private replay(
    block: Uint32Array,
    blockFloats: Float64Array,
    entry: number,
    sink: RecordSink,
    nowMillis: number,
    beat: () => void,
  ): number {
    const { words, floats, values, requestBytes, responseBytes } = this;
    const at = entry * FOLD_ENTRY_WORDS;
    const f = entry * FOLD_ENTRY_FLOATS;
    const tag = block[at + FOLD_TAG];
    const kind = tag & 0xff;
    const count = block[at + FOLD_COUNT];
    values.reset(block, at + FOLD_VALUE_BUCKETS, valueBoundaries(kind), count, blockFloats, f + FOLD_VALUE_SUM, false);
    words[TAG] = tag;
    words[KEY] = block[at + FOLD_KEY];
    words[TENANT] = block[at + FOLD_TENANT];
    const http = kind === KIND_HTTP;
    if (http) {
      requestBytes.reset(block, at + FOLD_A_BUCKETS, SIZE_BOUNDARIES, count, blockFloats, f + FOLD_A_SUM, true);
      responseBytes.reset(block, at + FOLD_B_BUCKETS, SIZE_BOUNDARIES, count, blockFloats, f + FOLD_B_SUM, true);
    } else {
      words[AUX] = block[at + FOLD_AUX];
      words[A] = block[at + FOLD_A];
      words[B] = block[at + FOLD_B];
    }
    let refused = 0;
    for (let k = 0; k < count; k++) {
      floats[VALUE_FLOAT] = values.next();
      if (http) {
        // Byte counts as the ring carries them: low 32 bits in A and B, the high 16 bits of each in AUX.
        const request = requestBytes.next();
        const response = responseBytes.next();
        const highA = Math.floor(request / TWO_TO_32);
        const highB = Math.floor(response / TWO_TO_32);
        words[A] = request - highA * TWO_TO_32;
        words[B] = response - highB * TWO_TO_32;
        words[AUX] = (highA | (highB << 16)) >>> 0;
      }
      if (!sink(words, floats, 0, nowMillis)) refused++;
      if (++this.replayed % BEAT_RECORDS === 0) beat();
    }
    return refused;
  }
}

function isQuery(block: Uint32Array, entry: number): boolean {
  return (block[entry * FOLD_ENTRY_WORDS + FOLD_TAG] & 0xff) === KIND_QUERY;
}

// The float offsets of min and max relative to the sum's: the layout keeps sum, min, max in that order for VALUE, A
// and B alike (test/fold.test.ts holds it).
const MIN = FOLD_VALUE_MIN - FOLD_VALUE_SUM;
const MAX = FOLD_VALUE_MAX - FOLD_VALUE_SUM;

/**
 * `count` values that reproduce one folded histogram: its bucket counts, its minimum (the first value) and maximum
 * (the last), and its sum (the others placed at the same fraction t of their bucket's range, t chosen so that they
 * add up to the sum less the extremes; `integer`: byte counts, floored, the remainder given out one by one so that
 * the sum is exact). Values come in ascending bucket order. Every value stays inside its bucket: (b[i-1], b[i]],
 * narrowed to [min, max].
 */
export class BucketValues {
  private counts: Uint32Array = new Uint32Array(0);
  private at = 0;
  private boundaries: readonly number[] = [];
  private buckets = 1;
  private integer = false;
  private min = 0;
  private max = 0;
  private t = 0;
  private remainder = 0;
  private emitted = 0;
  private total = 0;
  private bucket = 0;
  private leftInBucket = 0;
  private firstBucket = 0;
  private lastBucket = 0;

  reset(
    counts: Uint32Array,
    at: number,
    boundaries: readonly number[],
    total: number,
    floats: Float64Array,
    sumAt: number,
    integer: boolean,
  ): void {
    this.counts = counts;
    this.at = at;
    this.boundaries = boundaries;
    this.buckets = boundaries.length + 1;
    this.integer = integer;
    this.total = total;
    this.emitted = 0;
    const sum = floats[sumAt];
    const min = floats[sumAt + MIN];
    const max = floats[sumAt + MAX];
    this.min = min;
    this.max = max;
    let first = 0;
    while (first < this.buckets - 1 && counts[at + first] === 0) first++;
    let last = this.buckets - 1;
    while (last > 0 && counts[at + last] === 0) last--;
    this.firstBucket = first;
    this.lastBucket = last;
    // The inner values (all but the minimum and the maximum): their lows and ranges, to find t.
    let lows = 0;
    let ranges = 0;
    for (let i = first; i <= last; i++) {
      const inner = this.inner(i);
      if (inner === 0) continue;
      const lo = this.low(i);
      lows += inner * lo;
      ranges += inner * (this.high(i) - lo);
    }
    const target = total >= 2 ? sum - min - max : 0;
    const t = ranges > 0 ? (target - lows) / ranges : 0;
    this.t = Math.min(Math.max(t, 0), 1);
    if (integer) {
      let placed = 0;
      for (let i = first; i <= last; i++) placed += this.inner(i) * this.place(i);
      this.remainder = target - placed;
    }
    this.bucket = first;
    this.leftInBucket = this.inner(first);
  }

  next(): number {
    const k = this.emitted++;
    if (k === 0) return this.min;
    if (k === this.total - 1) return this.max;
    while (this.leftInBucket === 0 && this.bucket < this.lastBucket) {
      this.bucket++;
      this.leftInBucket = this.inner(this.bucket);
    }
    this.leftInBucket--;
    let value = this.place(this.bucket);
    if (this.integer && this.remainder > 0 && value < this.high(this.bucket)) {
      value++;
      this.remainder--;
    }
    return value;
  }

  /** Values of bucket i other than the minimum and the maximum. */
  private inner(i: number): number {
    let n = this.counts[this.at + i];
    if (i === this.firstBucket && this.total >= 1) n--;
    if (i === this.lastBucket && this.total >= 2) n--;
    return Math.max(n, 0);
  }

  private low(i: number): number {
    if (i === 0) return this.min;
    const above = this.integer ? this.boundaries[i - 1] + 1 : this.boundaries[i - 1];
    return Math.max(above, this.min);
  }

  private high(i: number): number {
    if (i === this.buckets - 1) return this.max;
    const bound = this.boundaries[i];
    return Math.min(bound, this.max);
  }

  /** The value of an inner record of bucket i (before the integer remainder). */
  private place(i: number): number {
    const lo = this.low(i);
    const hi = this.high(i);
    const raw = lo + this.t * (hi - lo);
    let value = this.integer ? Math.floor(raw) : raw;
    value = Math.min(value, hi);
    // Buckets are (b[i-1], b[i]]: a value on the lower boundary belongs below, so it moves just above it.
    if (i > 0 && value <= this.boundaries[i - 1]) value = this.integer ? this.boundaries[i - 1] + 1 : nextUp(this.boundaries[i - 1]);
    return value;
  }
}

const scratch = new Float64Array(1);
const scratchBits = new BigUint64Array(scratch.buffer);

/** The smallest float64 above a positive `x`. */
function nextUp(x: number): number {
  scratch[0] = x;
  scratchBits[0] += 1n;
  return scratch[0];
}
