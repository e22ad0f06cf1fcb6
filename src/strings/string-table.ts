import {
  BYTES_USED,
  COUNT,
  RESERVED_LABELS,
  TENANT_SLOT_BYTES,
  TENANT_SLOT_UNITS,
  tableBufferBytes,
  tableViews,
  type TableViews,
  tenantRegionViews,
  type TenantRegionViews,
} from '../contract/strings-layout.js';

/**
 * The main thread's side of the shared string table (see strings-layout.ts): appends strings and returns their
 * ids, and writes tenant ids into the tenant region's reusable slots. It does not deduplicate; the interners in
 * front of it do.
 */
export class StringTableWriter {
  readonly buffer: SharedArrayBuffer;
  readonly maxEntries: number;
  readonly tenantSlots: number;
  private readonly views: TableViews;
  private readonly tenantViews: TenantRegionViews;
  private readonly encoder = new TextEncoder();
  private count = 0;
  private bytesUsed = 0;

  constructor(maxEntries: number, maxBytes: number, tenantSlots = 0) {
    this.maxEntries = maxEntries;
    this.tenantSlots = tenantSlots;
    this.buffer = new SharedArrayBuffer(tableBufferBytes(maxEntries, maxBytes, tenantSlots));
    this.views = tableViews(this.buffer, maxEntries, tenantSlots);
    this.tenantViews = tenantRegionViews(this.buffer, tenantSlots);
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

  /**
   * Writes a tenant id into tenant slot `slot` (a free one: its previous tenant is forgotten and fenced, see
   * tenant-slots.ts) and publishes it with a new generation. `value` is at most TENANT_SLOT_UNITS long (the
   * interner checked it), so it always fits.
   */
  writeTenant(slot: number, value: string): void {
    if (value.length > TENANT_SLOT_UNITS) throw new RangeError(`a tenant id longer than ${TENANT_SLOT_UNITS} units reached the table`);
    const { lengths, generations, bytes } = this.tenantViews;
    const start = slot * TENANT_SLOT_BYTES;
    const written = this.encoder.encodeInto(value, bytes.subarray(start, start + TENANT_SLOT_BYTES)).written;
    lengths[slot] = written;
    // Publish last: a reader that loads the new generation sees the bytes and the length above.
    Atomics.store(generations, slot, (generations[slot] + 1) | 0);
  }

  /** A tenant slot's generation (how many tenants it has carried). */
  tenantGeneration(slot: number): number {
    return Atomics.load(this.tenantViews.generations, slot);
  }
}
