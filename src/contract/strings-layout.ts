/**
 * The shared string table: every label the main thread interns (tenant ids, routes, SQL texts, resource types)
 * is appended here once and referred to by its index (a string id) in ring records. One table serves every shard.
 *
 * ```
 *  ┌──────────────────────┬────────────────────────────────┬───────────────────────────────┐
 *  │ header (Int32 × 8)   │ offsets (Uint32 × entries + 1)  │ UTF-8 bytes                   │
 *  │ COUNT, BYTES_USED    │ entry i = bytes[off[i]..off[i+1])│                               │
 *  └──────────────────────┴────────────────────────────────┴───────────────────────────────┘
 * ```
 *
 * Publish order (only the main thread writes; workers only read): the bytes of entry i, then `offsets[i + 1]`,
 * then `Atomics.store(COUNT, i + 1)`. A worker that loads COUNT sees every entry below it complete. Because the
 * main thread appends an entry before it writes the first ring record that names it, and publishes that record
 * later with another `Atomics.store`, a worker never meets an id it cannot resolve; and a replacement worker
 * finds every string here, since the table outlives any worker.
 */
export const TABLE_HEADER_BYTES = 32;
export const COUNT = 0;
export const BYTES_USED = 1;

/** Separates a route from its endpoint category inside one endpoint entry (`route \u001f category`). */
export const ENDPOINT_SEPARATOR = '\u001f';

/** Ids that exist in every table, in this order, so that both threads can name them as constants. */
export const RESERVED_LABELS = ['', 'unknown', 'invalid', '__overflow__', 'unmatched', 'system'] as const;
export const EMPTY_ID = 0;
/** A tenant (or other label) that was not given. */
export const UNKNOWN_ID = 1;
/** A label that was too long, held control characters or was not well-formed UTF-16. */
export const INVALID_ID = 2;
/** A new label beyond its cap; exported with `otel.metric.overflow=true`. */
export const OVERFLOW_ID = 3;
/** The route of a request that matched no route. */
export const UNMATCHED_ID = 4;
/** The tenant of work done outside any request (a query at startup, a cron job). */
export const SYSTEM_ID = 5;

export function tableBufferBytes(maxEntries: number, maxBytes: number): number {
  return TABLE_HEADER_BYTES + (maxEntries + 1) * 4 + maxBytes;
}

export interface TableViews {
  header: Int32Array;
  offsets: Uint32Array;
  bytes: Uint8Array;
}

export function tableViews(buffer: SharedArrayBuffer, maxEntries: number): TableViews {
  const offsetsStart = TABLE_HEADER_BYTES;
  const bytesStart = offsetsStart + (maxEntries + 1) * 4;
  return {
    header: new Int32Array(buffer, 0, TABLE_HEADER_BYTES / 4),
    offsets: new Uint32Array(buffer, offsetsStart, maxEntries + 1),
    bytes: new Uint8Array(buffer, bytesStart),
  };
}
