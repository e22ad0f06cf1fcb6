import { BYTES_USED, COUNT, RESERVED_LABELS, tableBufferBytes, tableViews, type TableViews } from '../contract/strings-layout.js';

/**
 * The main thread's side of the shared string table (see layout.ts): appends strings and returns their ids.
 * It does not deduplicate; the interners in front of it do.
 */
export class StringTableWriter {
  readonly buffer: SharedArrayBuffer;
  readonly maxEntries: number;
  private readonly views: TableViews;
  private readonly encoder = new TextEncoder();
  private count = 0;
  private bytesUsed = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries;
    this.buffer = new SharedArrayBuffer(tableBufferBytes(maxEntries, maxBytes));
    this.views = tableViews(this.buffer, maxEntries);
    for (const label of RESERVED_LABELS) this.append(label);
  }

  get size(): number {
    return this.count;
  }

  /** Appends `value` and returns its id, or -1 when the table has no room left (the caller overflows). */
  append(value: string): number {
    const { header, offsets, bytes } = this.views;
    if (this.count >= this.maxEntries) return -1;
    const free = bytes.length - this.bytesUsed;
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes; checking first means a string is never cut.
    if (value.length * 3 > free) {
      const encoded = this.encoder.encode(value);
      if (encoded.length > free) return -1;
      bytes.set(encoded, this.bytesUsed);
      this.bytesUsed += encoded.length;
    } else {
      this.bytesUsed += this.encoder.encodeInto(value, bytes.subarray(this.bytesUsed)).written;
    }
    const id = this.count;
    offsets[id + 1] = this.bytesUsed;
    this.count = id + 1;
    header[BYTES_USED] = this.bytesUsed;
    // Publish last: a reader that sees COUNT = id + 1 sees the bytes and the end offset above.
    Atomics.store(header, COUNT, this.count);
    return id;
  }
}
