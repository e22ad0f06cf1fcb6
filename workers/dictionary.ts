import {
  COUNT,
  ENDPOINT_SEPARATOR,
  TENANT_ID_BASE,
  TENANT_SLOT_BYTES,
  tableViews,
  type TableViews,
  tenantRegionViews,
  type TenantRegionViews,
} from '../src/contract/strings-layout.js';
import { hasControlCharacter } from '../src/contract/label-text.js';
import type { MemoryBudget } from './memory-budget.js';

/** What an entry of the table may be used as (a bit set per entry, worked out once when it is decoded). */
const AS_LABEL = 1;
const AS_ENDPOINT = 2;

/**
 * What a decoded label costs at most: a V8 string of n UTF-8 bytes holds at most n characters, stored as one byte
 * each (Latin-1) or two, after a 16-byte header, rounded up to 8; plus its slot in the cache.
 */
export function labelBytes(utf8Bytes: number): number {
  return 24 + 2 * utf8Bytes;
}

/**
 * The worker's read side of the shared string table: turns string ids back into labels, decoding each entry once.
 * Tenant ids (TENANT_ID_BASE + slot) are read from the tenant region, whose slots are reused: a slot's label is
 * cached with the generation it was decoded at, and decoded again when the main thread has written the slot since.
 *
 * Memory: the labels of the string table (routes, SQL texts, other labels) are charged to the budget as they are
 * decoded, never refused (the table's caps bound them); a tenant's label is paid for by its admission
 * (`tenantLabelBytes`, tenant-admission.ts) and dropped from the cache when retention forgets the tenant.
 */
export class Dictionary {
  private readonly views: TableViews;
  private readonly tenantViews: TenantRegionViews;
  private readonly decoder = new TextDecoder();
  private readonly labels: string[] = [];
  /** AS_LABEL | AS_ENDPOINT per entry of `labels`. */
  private readonly uses: number[] = [];
  private readonly tenantLabels: (string | undefined)[];
  private readonly tenantGenerations: Int32Array;
  /** 1 once a slot was seen written (its generation only ever grows, so it stays written). */
  private readonly tenantWritten: Uint8Array;

  constructor(
    buffer: SharedArrayBuffer,
    maxEntries: number,
    tenantSlots = 0,
    private readonly budget?: MemoryBudget,
  ) {
    this.views = tableViews(buffer, maxEntries, tenantSlots);
    this.tenantViews = tenantRegionViews(buffer, tenantSlots);
    this.tenantLabels = new Array(tenantSlots).fill(undefined);
    this.tenantGenerations = new Int32Array(tenantSlots);
    this.tenantWritten = new Uint8Array(tenantSlots);
  }

  /**
   * Whether `id` is an entry of the table whose text can be a label value: no control character (SQL texts are
   * entries too, and may hold any). The checks below let the worker refuse a record naming what it cannot use
   * before anything is aggregated (record-check.ts); each costs a comparison and an array read, and syncs with the
   * table only for an id beyond what was decoded.
   */
  isLabel(id: number): boolean {
    return this.isEntry(id) && (this.uses[id] & AS_LABEL) !== 0;
  }

  /** Whether `id` is an entry that splits into a route and a category free of control characters. */
  isEndpoint(id: number): boolean {
    return this.isEntry(id) && (this.uses[id] & AS_ENDPOINT) !== 0;
  }

  /** Whether `id` is an entry of the table (any text: a SQL text is classified, never a label itself). */
  isEntry(id: number): boolean {
    if (id < this.labels.length) return true;
    this.sync();
    return id < this.labels.length;
  }

  /** Whether a tenant slot exists and the main thread has written it. */
  isTenantSlot(slot: number): boolean {
    if (slot >= this.tenantWritten.length) return false;
    if (this.tenantWritten[slot] === 1) return true;
    if (Atomics.load(this.tenantViews.generations, slot) === 0) return false;
    this.tenantWritten[slot] = 1;
    return true;
  }

  label(id: number): string {
    if (id >= TENANT_ID_BASE) return this.tenant(id - TENANT_ID_BASE);
    if (id >= this.labels.length) this.sync();
    const value = this.labels[id];
    if (value === undefined) throw new RangeError(`string id ${id} is not in the table (${this.labels.length} entries)`);
    return value;
  }

  /** Splits an endpoint entry (`route \u001f category`) into its two labels. */
  endpoint(id: number): { route: string; category: string } {
    const value = this.label(id);
    const cut = value.lastIndexOf(ENDPOINT_SEPARATOR);
    if (cut < 0) return { route: value, category: 'other' };
    return { route: value.slice(0, cut), category: value.slice(cut + 1) };
  }

  /** What the label of tenant `id` (TENANT_ID_BASE + slot) costs once decoded (labelBytes of its UTF-8 length). */
  tenantLabelBytes(id: number): number {
    return labelBytes(this.tenantViews.lengths[id - TENANT_ID_BASE] ?? 0);
  }

  /** Drops a forgotten tenant's decoded label (its admission paid for it, and gave it back). */
  forgetTenant(id: number): void {
    const slot = id - TENANT_ID_BASE;
    if (slot >= 0 && slot < this.tenantLabels.length) this.tenantLabels[slot] = undefined;
  }

  private tenant(slot: number): string {
    const { generations, lengths, bytes } = this.tenantViews;
    if (slot >= generations.length) throw new RangeError(`tenant slot ${slot} is not in the table (${generations.length} slots)`);
    // Synchronises with the main thread's Atomics.store of the generation: the bytes and length below are complete.
    const generation = Atomics.load(generations, slot);
    if (generation === 0) throw new RangeError(`tenant slot ${slot} was never written`);
    const cached = this.tenantLabels[slot];
    if (cached !== undefined && this.tenantGenerations[slot] === generation) return cached;
    const start = slot * TENANT_SLOT_BYTES;
    // TextDecoder refuses views of shared memory: copy the entry out first (once per tenant, never per record).
    const value = this.decoder.decode(bytes.slice(start, start + lengths[slot]));
    this.tenantLabels[slot] = value;
    this.tenantGenerations[slot] = generation;
    return value;
  }

  private sync(): void {
    const { header, offsets, bytes } = this.views;
    const count = Atomics.load(header, COUNT);
    for (let id = this.labels.length; id < count; id++) {
      // TextDecoder refuses views of shared memory: copy the entry out first (once per string, never per record).
      const value = this.decoder.decode(bytes.slice(offsets[id], offsets[id + 1]));
      this.labels.push(value);
      this.uses.push(usesOf(value));
      this.budget?.charge(labelBytes(offsets[id + 1] - offsets[id]));
    }
  }
}

function usesOf(value: string): number {
  const cut = value.lastIndexOf(ENDPOINT_SEPARATOR);
  const endpointClean =
    cut < 0 ? !hasControlCharacter(value) : !hasControlCharacter(value.slice(0, cut)) && !hasControlCharacter(value.slice(cut + 1));
  return (cut < 0 && endpointClean ? AS_LABEL : 0) | (endpointClean ? AS_ENDPOINT : 0);
}
