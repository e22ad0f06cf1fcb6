/**
 * The ring floor's shared-memory layout (ring-floor.ts writes, ring-floor-consumer.ts reads): a 128-byte header,
 * then 32-byte records. The two indices sit a cache line apart, so that the two threads never write the same line.
 */
export const FLOOR_HEADER_BYTES = 128;
/** Int32 slot of the write index (main thread only). */
export const FLOOR_WRITE_SLOT = 0;
/** Int32 slot of the read index (consumer only). */
export const FLOOR_READ_SLOT = 16;
export const FLOOR_RECORD_WORDS = 8;
export const FLOOR_RECORD_FLOATS = 4;
/** Word offsets in a record, and the duration's float offset. */
export const FLOOR_STATUS = 0;
export const FLOOR_ROUTE = 1;
export const FLOOR_TENANT = 2;
export const FLOOR_SECONDS_FLOAT = 2;
