/**
 * The shared-memory layout of one shard's ring. Both threads import this module and nothing else decides where
 * a field lives: the main thread (producer) writes records, the shard's worker (consumer) reads them. What the
 * fields of a record mean is in codes.ts; the header is read and written only through ring-header.ts.
 *
 * ```
 *  byte 0               64                   128                  192                        192 + capacity × 32
 *  ┌────────────────────┬────────────────────┬────────────────────┬────────┬────────┬─────┬────────┐
 *  │ main-thread slots  │ worker slots       │ worker slots       │ rec 0  │ rec 1  │ ... │ rec N-1│
 *  │ WRITE_INDEX, ...   │ READ_INDEX, ...    │ SPILL_*, ...       │ 32 B   │        │     │        │
 *  └────────────────────┴────────────────────┴────────────────────┴────────┴────────┴─────┴────────┘
 *        one cache line per writer, so that the two threads never write the same line
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
 * - Full ring: the main thread never waits. It re-reads READ_INDEX once; if the ring is still full the record goes
 *   to the overflow (spill.ts): segments of records in this same format, handed to the worker whole. Only when the
 *   overflow has reached the memory bound is a record dropped and counted in DROPPED.
 * - DROPPED, REJECTED and LOST are cumulative counts written only by the main thread. The worker exports their
 *   growth since the values it stored in EXPORTED_DROPPED / EXPORTED_REJECTED / EXPORTED_LOST at its last
 *   successful export; keeping those baselines here (not in worker memory) lets a replacement worker carry on
 *   without exporting a count twice.
 * - EXPORTED_READ_INDEX is the READ_INDEX covered by the last successful export. Records between it and
 *   READ_INDEX were aggregated but live only in the worker's memory: if the worker dies, the main thread counts
 *   exactly those as LOST, except those below IN_FLIGHT_READ_INDEX (an export of them was out), counted as
 *   POSSIBLY_DELIVERED. The overflow has the same slots: SPILL_RECORDS_READ, EXPORTED_SPILL_RECORDS and
 *   IN_FLIGHT_SPILL_RECORDS.
 * - SPILL_SEGMENTS_READ counts the overflow segments the worker has aggregated, in the order they were sent: the
 *   main thread frees the segments below it and sends the rest again to a replacement worker.
 * - SPILL_BYTES (main) and SERIES_BYTES (worker) are the two halves of the shard's memory bound: each side reads
 *   the other's before it grows. SERIES_BYTES is everything the worker's budget accounts (series, tenant state,
 *   GET /metrics totals); TENANTS_ADMITTED, TENANTS_FOLDED and RECORDS_FOLDED say what the bound did to tenants.
 * - Every count stats() and the operations endpoints show lives here, once: RESTARTS, LOST and POSSIBLY_DELIVERED
 *   (main thread), the export counts and REJECTED_POINTS, DROPPED_POINTS, POSSIBLY_DUPLICATED_POINTS, EXPORTS_SETTLED_*
 *   (worker). The main
 *   thread reads them where they are; nothing keeps a second copy.
 */

/** Bytes in the header: three 64-byte cache lines. */
export const HEADER_BYTES = 192;
/** Int32 slots in the header. */
export const HEADER_SLOTS = HEADER_BYTES / 4;

// --- main-thread slots (first cache line) ---
/** Next record index the main thread will publish. */
export const WRITE_INDEX = 0;
/** Records dropped because the ring was full and the overflow at its memory bound. */
export const DROPPED = 1;
/** Records refused because a value was invalid (kept on shard 0's header only). */
export const REJECTED = 2;
/** Records lost when a worker died holding aggregated but unexported data. */
export const LOST = 3;
/** Bytes the overflow holds now (segments not yet aggregated, and one kept for reuse). */
export const SPILL_BYTES = 4;
/** Times the shard's worker was replaced (it died or hung). */
export const RESTARTS = 5;
/**
 * Records a worker had aggregated and was exporting when it died (their request sent, its answer not in): the
 * backend may have them, so they are counted here rather than in LOST.
 */
export const POSSIBLY_DELIVERED = 6;

// --- worker slots (second and third cache lines) ---
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
/**
 * While an export's requests are out: the READ_INDEX and SPILL_RECORDS_READ its data covers (published before the
 * first request is sent); equal to EXPORTED_READ_INDEX and EXPORTED_SPILL_RECORDS when none is. A worker that dies
 * in between leaves the records below them possibly delivered, the rest lost.
 */
export const IN_FLIGHT_READ_INDEX = 28;
export const IN_FLIGHT_SPILL_RECORDS = 29;
/** Overflow segments aggregated, in the order sent. */
export const SPILL_SEGMENTS_READ = 32;
/** Overflow records aggregated. */
export const SPILL_RECORDS_READ = 33;
/** SPILL_RECORDS_READ as of the last successful export. */
export const EXPORTED_SPILL_RECORDS = 34;
/** Bytes of series state the worker holds. */
export const SERIES_BYTES = 35;
/** Records the worker could not decode (an unknown kind), skipped and counted. */
export const UNDECODABLE = 36;
/** UNDECODABLE as of the last successful export. */
export const EXPORTED_UNDECODABLE = 37;
/** RESTARTS as of the last successful export. */
export const EXPORTED_RESTARTS = 38;
/** POSSIBLY_DELIVERED as of the last successful export. */
export const EXPORTED_POSSIBLY_DELIVERED = 39;
/** Client-chosen tenants with state of their own in the worker now (tenant-admission.ts). */
export const TENANTS_ADMITTED = 40;
/** Client-chosen tenants folded into `__overflow__` now, because the memory bound was reached when they came. */
export const TENANTS_FOLDED = 41;
/** Records aggregated under `__overflow__` because of the memory bound, since the worker started. */
export const RECORDS_FOLDED = 42;
/** Data points the backend refused in partial successes (never resent), since the shard started. */
export const REJECTED_POINTS = 43;
/** Data points dropped with batches the backend refused for good (400 and the like), since the shard started. */
export const DROPPED_POINTS = 44;
/** Exports settled (one per interval, whatever the exporters), by outcome: accepted whole, or not. */
export const EXPORTS_SETTLED_OK = 45;
export const EXPORTS_SETTLED_FAILED = 46;
/**
 * Data points of requests that timed out after going out whole, since the shard started: the backend may have
 * taken them, and their data is (or was) sent again, so the backend may hold them twice.
 */
export const POSSIBLY_DUPLICATED_POINTS = 47;

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

/** Largest byte count a record carries (48 bits); larger values saturate. */
export const MAX_RECORD_BYTES_VALUE = 2 ** 48 - 1;

/**
 * Largest VALUE the worker aggregates (seconds, usage, a runtime sample): 2^53 − 1. A record beyond it (or
 * negative, or not finite) is skipped as undecodable. With every value at most 2^53 and fewer than 2^53 records,
 * a sum stays below 2^106, far from float64's 2^1024: no sum, average, share or sketch can become Inf or NaN.
 */
export const MAX_RECORD_VALUE = Number.MAX_SAFE_INTEGER;

/** Smallest and largest ring capacity, in records. */
export const MIN_RING_CAPACITY = 16;
export const MAX_RING_CAPACITY = 2 ** 24;

export function ringBufferBytes(capacity: number): number {
  return HEADER_BYTES + capacity * RECORD_BYTES;
}

export function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
}
