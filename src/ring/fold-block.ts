import { KIND_HTTP, KIND_QUERY } from '../contract/codes.js';
import {
  FOLD_A,
  FOLD_A_BUCKETS,
  FOLD_A_MAX,
  FOLD_A_MIN,
  FOLD_A_SUM,
  FOLD_AUX,
  FOLD_B,
  FOLD_B_BUCKETS,
  FOLD_B_MAX,
  FOLD_B_MIN,
  FOLD_B_SUM,
  FOLD_COUNT,
  FOLD_ENTRY_BYTES,
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
  bucketOf as bucket,
  foldKeyHash,
} from '../contract/fold-layout.js';
import { DB_DURATION_BOUNDARIES, HTTP_DURATION_BOUNDARIES, SIZE_BOUNDARIES } from '../contract/metrics.js';

const TWO_TO_32 = 2 ** 32;
/** Hash index slots per entry of capacity: load ≤ ½, so a probe is short. */
const INDEX_SLOTS_PER_ENTRY = 2;

/** Bytes a block of `capacity` entries is charged once every entry is used: its entries and its hash index. */
export function foldBlockBytes(capacity: number): number {
  return capacity * FOLD_ENTRY_BYTES + indexSlots(capacity) * 4;
}

/** Bytes one folded series costs: its entry and its share of the hash index. */
export const FOLD_SERIES_BYTES = FOLD_ENTRY_BYTES + INDEX_SLOTS_PER_ENTRY * 4;

function indexSlots(capacity: number): number {
  let slots = 16;
  while (slots < capacity * INDEX_SLOTS_PER_ENTRY) slots *= 2;
  return slots;
}

/**
 * One fold block being filled (main thread only; see contract/fold-layout.ts for the layout and how the worker
 * merges it). `add` folds a record into the entry of its key, making the entry if the block has room for it.
 *
 * Who owns what: the block's buffer is written by this thread with plain stores while it is open; sealing hands it
 * over (spill.ts posts it, which orders every store here before the worker's reads), after which nothing here
 * touches it. Entries are appended, so the worker reads exactly `entries` of them. The hash index is this thread's
 * own memory (the worker never needs it) and goes with the block when it is sealed.
 *
 * The buffer is allocated at its full capacity at once: untouched pages of a SharedArrayBuffer cost no memory, so a
 * block costs what its entries use, and it never has to be copied to grow.
 */
export class FoldBlock {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Uint32Array;
  private readonly floats: Float64Array;
  /** Entry number + 1 per hash slot (0: empty). */
  private readonly index: Int32Array;
  private readonly mask: number;
  /** Entries made. */
  entries = 0;
  /** Records folded into the block. */
  records = 0;

  constructor(readonly capacity: number) {
    this.buffer = new SharedArrayBuffer(capacity * FOLD_ENTRY_BYTES);
    this.words = new Uint32Array(this.buffer);
    this.floats = new Float64Array(this.buffer);
    this.index = new Int32Array(indexSlots(capacity));
    this.mask = this.index.length - 1;
  }

  /** Bytes the block holds now: the entries made and the hash index. */
  get bytes(): number {
    return this.entries * FOLD_ENTRY_BYTES + this.index.length * 4;
  }

  /**
   * Folds one record (the ring's fields, as RingWriter.write gets them). Makes its entry only while fewer than
   * `entryLimit` exist; false when the key has no entry and may not get one (nothing changed).
   */
  add(tag: number, key: number, tenant: number, aux: number, value: number, a: number, b: number, entryLimit: number): boolean {
    const http = (tag & 0xff) === KIND_HTTP;
    // HTTP's AUX, A and B are byte counts (values), not part of its series; other kinds key on all their words.
    const kAux = http ? 0 : aux;
    const kA = http ? 0 : a;
    const kB = http ? 0 : b;
    const hash = foldKeyHash(tag, key, tenant, kAux, kA, kB);
    const words = this.words;
    const index = this.index;
    let slot = hash & this.mask;
    let entry: number;
    for (;;) {
      const found = index[slot] - 1;
      if (found < 0) {
        if (this.entries >= entryLimit) return false;
        entry = this.entries++;
        index[slot] = entry + 1;
        this.create(entry, tag, key, tenant, kAux, kA, kB);
        break;
      }
      const at = found * FOLD_ENTRY_WORDS;
      if (
        words[at + FOLD_TAG] === tag &&
        words[at + FOLD_KEY] === key &&
        words[at + FOLD_TENANT] === tenant &&
        words[at + FOLD_AUX] === kAux &&
        words[at + FOLD_A] === kA &&
        words[at + FOLD_B] === kB
      ) {
        entry = found;
        break;
      }
      slot = (slot + 1) & this.mask;
    }
    const at = entry * FOLD_ENTRY_WORDS;
    const f = entry * FOLD_ENTRY_FLOATS;
    const floats = this.floats;
    words[at + FOLD_COUNT]++;
    words[at + FOLD_LAST] = ++this.records;
    floats[f + FOLD_VALUE_SUM] += value;
    if (value < floats[f + FOLD_VALUE_MIN]) floats[f + FOLD_VALUE_MIN] = value;
    if (value > floats[f + FOLD_VALUE_MAX]) floats[f + FOLD_VALUE_MAX] = value;
    if (http) {
      words[at + FOLD_VALUE_BUCKETS + bucket(HTTP_DURATION_BOUNDARIES, value)]++;
      const requestBytes = aux === 0 ? a : a + (aux & 0xffff) * TWO_TO_32;
      const responseBytes = aux === 0 ? b : b + (aux >>> 16) * TWO_TO_32;
      floats[f + FOLD_A_SUM] += requestBytes;
      if (requestBytes < floats[f + FOLD_A_MIN]) floats[f + FOLD_A_MIN] = requestBytes;
      if (requestBytes > floats[f + FOLD_A_MAX]) floats[f + FOLD_A_MAX] = requestBytes;
      words[at + FOLD_A_BUCKETS + bucket(SIZE_BOUNDARIES, requestBytes)]++;
      floats[f + FOLD_B_SUM] += responseBytes;
      if (responseBytes < floats[f + FOLD_B_MIN]) floats[f + FOLD_B_MIN] = responseBytes;
      if (responseBytes > floats[f + FOLD_B_MAX]) floats[f + FOLD_B_MAX] = responseBytes;
      words[at + FOLD_B_BUCKETS + bucket(SIZE_BOUNDARIES, responseBytes)]++;
    } else if ((tag & 0xff) === KIND_QUERY) {
      words[at + FOLD_VALUE_BUCKETS + bucket(DB_DURATION_BOUNDARIES, value)]++;
    } else {
      words[at + FOLD_VALUE_BUCKETS]++;
    }
    return true;
  }

  private create(entry: number, tag: number, key: number, tenant: number, aux: number, a: number, b: number): void {
    const at = entry * FOLD_ENTRY_WORDS;
    const words = this.words;
    words[at + FOLD_TAG] = tag;
    words[at + FOLD_KEY] = key;
    words[at + FOLD_TENANT] = tenant;
    words[at + FOLD_AUX] = aux;
    words[at + FOLD_A] = a;
    words[at + FOLD_B] = b;
    // The buffer is fresh (zeroed): sums start at 0, and the extremes start where any first value replaces them.
    const f = entry * FOLD_ENTRY_FLOATS;
    const floats = this.floats;
    floats[f + FOLD_VALUE_MIN] = Infinity;
    floats[f + FOLD_VALUE_MAX] = -Infinity;
    floats[f + FOLD_A_MIN] = Infinity;
    floats[f + FOLD_A_MAX] = -Infinity;
    floats[f + FOLD_B_MIN] = Infinity;
    floats[f + FOLD_B_MAX] = -Infinity;
  }
}
