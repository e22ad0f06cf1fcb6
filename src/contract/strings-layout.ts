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

/**
 * The tenant ids that pool traffic rather than name one tenant: requests without a tenant (`unknown`), with an
 * unusable one (`invalid`), beyond `maxTenants` (`__overflow__`), and work outside any request (`system`). A real
 * tenant never carries one of these names: a tenant id equal to one (exact, case-sensitive, as label values are)
 * is recorded as `invalid` and counted (engine/labels.ts); the analytics routes show them only to callers allowed every
 * tenant (docs/tenants.md, "Reserved tenant ids").
 */
export const PSEUDO_TENANTS: readonly string[] = Object.freeze(
  [UNKNOWN_ID, INVALID_ID, OVERFLOW_ID, SYSTEM_ID].map((id) => RESERVED_LABELS[id]),
);

/** Whether `tenant` is one of PSEUDO_TENANTS. */
export function isPseudoTenant(tenant: string): boolean {
  return PSEUDO_TENANTS.includes(tenant);
}

/** Distinct labels other than tenants, routes and SQL (databases, resource types, data types). */
export const MAX_OTHER_LABELS = 1_000;

/** The whole shared buffer: the append-only table (padded to 4 bytes), then the tenant region (below). */
export function tableBufferBytes(maxEntries: number, maxBytes: number, tenantSlots = 0): number {
  const table = TABLE_HEADER_BYTES + (maxEntries + 1) * 4 + maxBytes;
  return Math.ceil(table / 4) * 4 + tenantRegionBytes(tenantSlots);
}

export interface TableViews {
  header: Int32Array;
  offsets: Uint32Array;
  bytes: Uint8Array;
}

export function tableViews(buffer: SharedArrayBuffer, maxEntries: number, tenantSlots = 0): TableViews {
  const offsetsStart = TABLE_HEADER_BYTES;
  const bytesStart = offsetsStart + (maxEntries + 1) * 4;
  return {
    header: new Int32Array(buffer, 0, TABLE_HEADER_BYTES / 4),
    offsets: new Uint32Array(buffer, offsetsStart, maxEntries + 1),
    // Up to the tenant region, never into it.
    bytes: new Uint8Array(buffer, bytesStart, buffer.byteLength - tenantRegionBytes(tenantSlots) - bytesStart),
  };
}

/**
 * Tenant ids live apart from the append-only table, in a region of `maxTenants` reusable fixed-size slots after
 * it (docs/design/tenant-retention.md), so that a forgotten tenant's slot can carry another tenant:
 *
 * ```
 *  ┌────────────────────────────┬─────────────────────────────────┬──────────────────────────────────────┐
 *  │ lengths (Int32 × slots)    │ generations (Int32 × slots)     │ UTF-8 bytes (TENANT_SLOT_BYTES each) │
 *  └────────────────────────────┴─────────────────────────────────┴──────────────────────────────────────┘
 * ```
 *
 * A record's TENANT word names slot s as `TENANT_ID_BASE + s`, far above any table id, so that every reader of a
 * label id (`Dictionary.label`) tells the two apart with one comparison. Publish order (main thread only): the
 * slot's bytes, its length, then `Atomics.store(generation, g + 1)`. The worker caches a decoded tenant per slot
 * with the generation it read and decodes again when the generation moved on. The main thread writes a slot only
 * once the ring and the overflow hold no record naming its previous tenant (the fence), so the generation check
 * is a guard, never the only protection.
 */
export const TENANT_ID_BASE = 0x4000_0000;
/** A tenant id is at most LABEL_LIMITS.tenantId (128, label-text.ts) UTF-16 units, and a unit never takes more than 3 UTF-8 bytes. */
export const TENANT_SLOT_UNITS = 128;
export const TENANT_SLOT_BYTES = TENANT_SLOT_UNITS * 3;

export function tenantRegionBytes(slots: number): number {
  return slots * (8 + TENANT_SLOT_BYTES);
}

export interface TenantRegionViews {
  lengths: Int32Array;
  generations: Int32Array;
  bytes: Uint8Array;
}

/** The tenant region of a table buffer made for `maxEntries` table entries and `tenantSlots` slots. */
export function tenantRegionViews(buffer: SharedArrayBuffer, tenantSlots: number): TenantRegionViews {
  const start = buffer.byteLength - tenantRegionBytes(tenantSlots);
  // Int32 views need a 4-byte aligned start: tableBufferBytes pads the table to 4 bytes.
  return {
    lengths: new Int32Array(buffer, start, tenantSlots),
    generations: new Int32Array(buffer, start + tenantSlots * 4, tenantSlots),
    bytes: new Uint8Array(buffer, start + tenantSlots * 8, tenantSlots * TENANT_SLOT_BYTES),
  };
}

/** Whether a TENANT word names a tenant slot (else it is a reserved id: unknown, invalid, overflow, system). */
export function isTenantSlotId(id: number): boolean {
  return id >= TENANT_ID_BASE;
}
