/**
 * The layout of a fold block (src/ring/fold-block.ts writes it on the main thread, workers/fold-merge.ts merges it
 * in the worker). When a shard's ring and its raw overflow segments are full, the main thread no longer keeps each
 * record: it adds it to the block's accumulator of the record's series, keyed by the ids the record carries. A
 * block is a SharedArrayBuffer of entries, appended in order (entry i is complete before entry i + 1 is started);
 * it is handed to the worker like a raw segment (a `spill` message with `foldEntries`), never copied, and the main
 * thread never writes it again once it is sealed.
 *
 * One entry, 64 words (256 bytes):
 *
 *   words 0-5   the key: TAG, KEY, TENANT, AUX, A, B of the record. HTTP: TAG, KEY (endpoint), TENANT, the other
 *               three 0 (its byte counts are values, accumulated below). Other kinds: the record's words as they
 *               are (a query's database and pool gauges, a usage's data type), so that only VALUE varies.
 *   word 6      COUNT: records folded into the entry
 *   word 7      LAST: the block's record number (1-based) of the entry's last record, so that the merge can replay
 *               entries in the order of their last records: a query's pool gauges are a last value (the pool
 *               limit), and entries are otherwise in the order of their first records
 *   words 8-25  nine float64s: VALUE's sum, min, max; A's (request bytes) sum, min, max; B's (response bytes)
 *   words 26-41 VALUE's bucket counts (up to 16 buckets; the boundaries of the kind, `valueBoundaries`)
 *   words 42-52 A's bucket counts (HTTP only: SIZE_BOUNDARIES, 11 buckets)
 *   words 53-63 B's bucket counts (HTTP only)
 *
 * How each merges exactly: the worker replays COUNT records through the same aggregation as the ring's, with
 * values chosen inside each bucket so that every histogram bucket count, every count and every byte sum is the
 * folded records' own, the minimum and maximum are the real ones, and a float sum differs from the records' only by
 * the rounding of a different addition order. What is not kept is where inside its explicit bucket each value was:
 * a sketch's quantiles (tenant and route latency) and a base-2 exponential histogram see the folded records at
 * interpolated points of their explicit buckets. See docs/architecture.md, "The fold".
 */
import { KIND_HTTP, KIND_QUERY, KIND_TENANT_USAGE, KIND_TRANSACTION } from './codes.js';
import { DB_DURATION_BOUNDARIES, HTTP_DURATION_BOUNDARIES, SIZE_BOUNDARIES } from './metrics.js';

export const FOLD_ENTRY_WORDS = 64;
export const FOLD_ENTRY_BYTES = FOLD_ENTRY_WORDS * 4;
export const FOLD_ENTRY_FLOATS = FOLD_ENTRY_WORDS / 2;

/** Key words (word offsets within an entry). */
export const FOLD_TAG = 0;
export const FOLD_KEY = 1;
export const FOLD_TENANT = 2;
export const FOLD_AUX = 3;
export const FOLD_A = 4;
export const FOLD_B = 5;
export const FOLD_COUNT = 6;
export const FOLD_LAST = 7;

/** Float64 offsets within an entry (`entry * FOLD_ENTRY_FLOATS + …`). */
export const FOLD_VALUE_SUM = 4;
export const FOLD_VALUE_MIN = 5;
export const FOLD_VALUE_MAX = 6;
export const FOLD_A_SUM = 7;
export const FOLD_A_MIN = 8;
export const FOLD_A_MAX = 9;
export const FOLD_B_SUM = 10;
export const FOLD_B_MIN = 11;
export const FOLD_B_MAX = 12;

/** Bucket count words: VALUE's, then A's and B's (HTTP byte counts). */
export const FOLD_VALUE_BUCKETS = 26;
export const FOLD_MAX_VALUE_BUCKETS = 16;
export const FOLD_A_BUCKETS = 42;
export const FOLD_B_BUCKETS = 53;
export const FOLD_SIZE_BUCKETS = SIZE_BOUNDARIES.length + 1;

const NO_BOUNDARIES: readonly number[] = [];

/**
 * The explicit boundaries the fold keeps a kind's VALUE in (bucket i holds values in (b[i-1], b[i]], as the worker's
 * histograms do): the kind's duration histogram, so that its bucket counts stay exact. Usage and transaction values
 * have no histogram; one bucket keeps their sum, minimum and maximum.
 */
export function valueBoundaries(kind: number): readonly number[] {
  if (kind === KIND_HTTP) return HTTP_DURATION_BOUNDARIES;
  if (kind === KIND_QUERY) return DB_DURATION_BOUNDARIES;
  return NO_BOUNDARIES;
}

/** Whether records of a kind may be folded. Runtime samples are gauges (their last value counts), so never. */
export function foldable(kind: number): boolean {
  return kind === KIND_HTTP || kind === KIND_QUERY || kind === KIND_TRANSACTION || kind === KIND_TENANT_USAGE;
}

/** The bucket of `value` among `boundaries`: the first i with value ≤ b[i], else the last (the worker's rule). */
export function bucketOf(boundaries: readonly number[], value: number): number {
  let bucket = 0;
  const n = boundaries.length;
  while (bucket < n && value > boundaries[bucket]) bucket++;
  return bucket;
}

/**
 * The hash of a record's fold key (the words above; an HTTP record's AUX, A and B are values, not key): the fold
 * block's index (src/ring/fold-block.ts) and the held-series set (held-series.ts) use the same, so that the worker
 * and the main thread name a series alike.
 */
export function foldKeyHash(tag: number, key: number, tenant: number, aux: number, a: number, b: number): number {
  let hash = Math.imul(tag ^ Math.imul(key, 0x9e3779b1) ^ Math.imul(tenant, 0x85ebca6b), 0xc2b2ae35);
  if ((tag & 0xff) !== KIND_HTTP) hash = Math.imul(hash ^ aux ^ Math.imul(a, 0x27d4eb2f) ^ Math.imul(b, 0x165667b1), 0x9e3779b1);
  return hash ^ (hash >>> 15);
}
