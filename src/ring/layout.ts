/**
 * The shared-memory layout of one shard's ring. Both threads import this module and nothing else decides where
 * a field lives: the main thread (producer) writes records, the shard's worker (consumer) reads them.
 *
 * ```
 *  byte 0                    64                        128                         128 + capacity × 32
 *  ┌─────────────────────────┬─────────────────────────┬────────┬────────┬─────┬────────┐
 *  │ main-thread slots       │ worker slots            │ rec 0  │ rec 1  │ ... │ rec N-1│
 *  │ WRITE_INDEX, DROPPED,   │ READ_INDEX, HEARTBEAT,  │ 32 B   │        │     │        │
 *  │ REJECTED, LOST          │ EXPORTED_*, EXPORT_*    │        │        │     │        │
 *  └─────────────────────────┴─────────────────────────┴────────┴────────┴─────┴────────┘
 *        one cache line each, so that the two writers never share a line
 * ```
 *
 * Indices are free-running 32-bit counters (they wrap; every difference is taken with `>>> 0`); the record slot
 * of index i is `i & (capacity - 1)`, which is why the capacity is a power of two. The ring is empty when
 * `write === read` and full when `write - read === capacity`.
 *
 * Who writes what, and in which order:
 * - Only the main thread writes the record slots, then WRITE_INDEX. It writes the 32 bytes of record i with
 *   plain stores, then publishes with `Atomics.store(WRITE_INDEX, i + 1)`. The worker's `Atomics.load` of
 *   WRITE_INDEX synchronises with that store, so every record below the loaded index is complete.
 * - Only the worker writes READ_INDEX, and only after it has finished reading (aggregating) every record below
 *   the new value: from that store on, the main thread may overwrite those slots.
 * - Full ring: the main thread never waits. It re-reads READ_INDEX once; if the ring is still full it drops the
 *   record and counts it in DROPPED. A request is never blocked and never fails because of metrics.
 * - DROPPED, REJECTED and LOST are cumulative counts written only by the main thread. The worker exports their
 *   growth since the values it stored in EXPORTED_DROPPED / EXPORTED_REJECTED / EXPORTED_LOST at its last
 *   successful export; keeping those baselines here (not in worker memory) lets a replacement worker carry on
 *   without exporting a count twice.
 * - EXPORTED_READ_INDEX is the READ_INDEX covered by the last successful export. Records between it and
 *   READ_INDEX were aggregated but live only in the worker's memory: if the worker dies, the main thread counts
 *   exactly those as LOST.
 */

/** Bytes in the header: two 64-byte cache lines. */
export const HEADER_BYTES = 128;
/** Int32 slots in the header. */
export const HEADER_SLOTS = HEADER_BYTES / 4;

// --- main-thread slots (first cache line) ---
/** Next record index the main thread will publish. */
export const WRITE_INDEX = 0;
/** Records dropped because the ring was full. */
export const DROPPED = 1;
/** Records refused because a value was invalid (kept on shard 0's header only). */
export const REJECTED = 2;
/** Records lost when a worker died holding aggregated but unexported data. */
export const LOST = 3;

// --- worker slots (second cache line) ---
/** Next record index the worker will read. */
export const READ_INDEX = 16;
/** Bumped on every drain pass; a value that stops moving tells the main thread the worker hangs. */
export const HEARTBEAT = 17;
/** READ_INDEX as of the last successful export. */
export const EXPORTED_READ_INDEX = 18;
/** DROPPED as of the last successful export. */
export const EXPORTED_DROPPED = 19;
/** REJECTED as of the last successful export. */
export const EXPORTED_REJECTED = 20;
/** LOST as of the last successful export. */
export const EXPORTED_LOST = 21;
/** Export requests sent (one per batch). */
export const EXPORT_ATTEMPTS = 22;
/** Export requests that succeeded. */
export const EXPORT_SUCCEEDED = 23;
/** Export requests that failed after the exporter's own retries. */
export const EXPORT_FAILED = 24;
/** Duration of the last export (all batches), in microseconds. */
export const LAST_EXPORT_MICROS = 25;
/** Series the worker currently holds. */
export const SERIES = 26;
/** Data points dropped because the series memory bound was reached. */
export const OVERFLOWED = 27;

/** Bytes per record. */
export const RECORD_BYTES = 32;
/** 32-bit words per record. */
export const RECORD_WORDS = RECORD_BYTES / 4;

/*
 * Record fields, as word offsets from the record's first word (`slot * RECORD_WORDS`):
 *
 *   word 0  TAG     kind (bits 0-7) | detail (bits 8-15) | code (bits 16-31)
 *   word 1  KEY     a string id: endpoint (HTTP), SQL text or table (query), resource type (usage)
 *   word 2  TENANT  tenant string id
 *   word 3  AUX     per kind, see below
 *   word 4  VALUE   float64 across words 4-5 (8-byte aligned): seconds, or usage
 *   word 6  A       per kind
 *   word 7  B       per kind
 */
export const TAG = 0;
export const KEY = 1;
export const TENANT = 2;
export const AUX = 3;
/** Float64 index of VALUE within a record (`slot * RECORD_FLOATS + VALUE_FLOAT`). */
export const VALUE_FLOAT = 2;
export const A = 6;
export const B = 7;
/** Float64 slots per record. */
export const RECORD_FLOATS = RECORD_BYTES / 8;

/** Record kinds (TAG bits 0-7). Zero is never written, so a zeroed slot is recognisably not a record. */
export const KIND_HTTP = 1;
export const KIND_QUERY = 2;
export const KIND_TRANSACTION = 3;
export const KIND_TENANT_USAGE = 4;
export const KIND_RUNTIME = 5;

/*
 * Per-kind meaning of detail, code, AUX, A and B:
 *
 * HTTP         detail = method id, code = status code, KEY = endpoint id, VALUE = duration (s),
 *              A / B = request / response bytes (low 32 bits), AUX = their high 16 bits (B's in AUX bits 16-31).
 * QUERY        detail = QUERY_* flags | query type << 4, code = SQLSTATE class code (0 when none),
 *              KEY = SQL text id (QUERY_KEY_IS_SQL) or table id, AUX = database id, VALUE = duration (s),
 *              A = connections the client had in use once this query started (its queries in flight outside
 *              transactions, plus transactions in progress and reserved connections; may exceed B while queries
 *              queue), B = the client's connection limit (its max); A = B = 0 when unknown (no pool gauges).
 * TRANSACTION  detail = TRANSACTION_COMMIT | TRANSACTION_ROLLBACK, code = 1 for a savepoint, AUX = database id.
 * TENANT_USAGE KEY = resource type id, AUX = data type id, VALUE = usage.
 * RUNTIME      detail = RUNTIME_* sample, code = GC kind (RUNTIME_GC only), VALUE = the sample.
 */
export const QUERY_SUCCESS = 1;
export const QUERY_KEY_IS_SQL = 2;
/**
 * Set by the Drizzle logger hook, which sees a query before it runs: counted (success unknown, QUERY_SUCCESS is
 * ignored), never timed, no pool gauges.
 */
export const QUERY_UNTIMED = 4;
export const TRANSACTION_COMMIT = 1;
export const TRANSACTION_ROLLBACK = 2;

/** Runtime samples of the main thread (RUNTIME detail). */
export const RUNTIME_RSS_BYTES = 1;
export const RUNTIME_HEAP_USED_BYTES = 2;
export const RUNTIME_HEAP_TOTAL_BYTES = 3;
export const RUNTIME_EXTERNAL_BYTES = 4;
export const RUNTIME_PROCESS_CPU_PERCENT = 5;
export const RUNTIME_THREAD_CPU_PERCENT = 6;
export const RUNTIME_GC = 7;

/** Largest byte count a record carries (48 bits); larger values saturate. */
export const MAX_RECORD_BYTES_VALUE = 2 ** 48 - 1;

/** Smallest and largest ring capacity, in records. */
export const MIN_RING_CAPACITY = 16;
export const MAX_RING_CAPACITY = 2 ** 24;

export function ringBufferBytes(capacity: number): number {
  return HEADER_BYTES + capacity * RECORD_BYTES;
}

export function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
}

/** Packs TAG. */
export function tag(kind: number, detail: number, code: number): number {
  return (kind | (detail << 8) | (code << 16)) >>> 0;
}

export function tagKind(tagWord: number): number {
  return tagWord & 0xff;
}

export function tagDetail(tagWord: number): number {
  return (tagWord >>> 8) & 0xff;
}

export function tagCode(tagWord: number): number {
  return tagWord >>> 16;
}
