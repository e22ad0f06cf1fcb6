import type { StringTableWriter } from './string-table.js';
import { ENDPOINT_SEPARATOR, INVALID_ID, OVERFLOW_ID, TENANT_ID_BASE, UNKNOWN_ID, isPseudoTenant } from '../contract/strings-layout.js';
import { isCleanLabel } from '../contract/label-text.js';
import { flatCopy } from './flat-copy.js';
import type { TenantSlots } from './tenant-slots.js';

/** How many distinct strings of one family (tenants, routes, SQL texts, other labels) may exist. */
export class InternBudget {
  used = 0;
  /** Lowered or raised by configure() (never past the value the string table was sized for). */
  constructor(public max: number) {}
}

/**
 * Maps labels of one family to string ids. A miss is the only costly path (validation, UTF-8 encoding into the
 * shared table); a hit is one Map lookup. Invalid labels and labels beyond the budget are not remembered, so a
 * flood of distinct bad values cannot grow memory: each costs one failed lookup and one validation.
 *
 * Labels (and tenant ids, routes) are kept as the caller's own string, unlike SQL texts (flat-copy.ts): the caller
 * usually passes the same string object again (a route pattern, a constant), and a hit on the very key is a
 * pointer comparison, where a copy would cost every hit a content comparison (~6 ns, measured). A label is at most
 * 256 characters; only one that is itself a slice of a far larger string keeps that string alive.
 */
export class LabelInterner {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly table: StringTableWriter,
    private readonly budget: InternBudget,
    private readonly maxLength: number,
  ) {}

  /** The id of `value`; an empty value is UNKNOWN_ID. */
  intern(value: string): number {
    const known = this.ids.get(value);
    if (known !== undefined) return known;
    return this.admit(value);
  }

  private admit(value: string): number {
    if (value.length === 0) return UNKNOWN_ID;
    if (!isCleanLabel(value, this.maxLength)) return INVALID_ID;
    if (this.budget.used >= this.budget.max) return OVERFLOW_ID;
    const id = this.table.append(value);
    if (id < 0) return OVERFLOW_ID;
    this.budget.used++;
    this.ids.set(value, id);
    return id;
  }
}

/**
 * Maps tenant ids to tenant slots (TENANT_ID_BASE + slot, see strings-layout.ts). A hit is one Map lookup, as for
 * any label. A miss takes a free slot and writes the tenant into it; a tenant forgotten by retention
 * (tenant-slots.ts) has left the Map, so when it comes back it takes a fresh slot like any new tenant. The budget
 * counts live tenants, so a retired tenant makes room under `maxTenants` at once, while its slot waits for its fence.
 */
export class TenantInterner {
  /** Told of each tenant that takes a slot (tenantCreatedAt, engine/tenant-creation.ts); must not throw or block. */
  onNewTenant: ((tenant: string, id: number) => void) | undefined;

  constructor(
    private readonly table: StringTableWriter,
    private readonly slots: TenantSlots,
    private readonly budget: InternBudget,
    private readonly maxLength: number,
  ) {}

  /**
   * The id of `value`: INVALID_ID for an empty value, one too long, with control characters or lone surrogates, or
   * a reserved name (a pseudo-tenant's label: strings-layout.ts), so that a real tenant never shares a label value
   * with pooled traffic. The caller tells them apart, on that rare path only, to count why.
   */
  intern(value: string): number {
    const known = this.slots.slotOf(value);
    if (known !== undefined) return TENANT_ID_BASE + known;
    return this.admit(value);
  }

  private admit(value: string): number {
    if (value.length === 0 || !isCleanLabel(value, this.maxLength) || isPseudoTenant(value)) return INVALID_ID;
    if (this.slots.live >= this.budget.max) return OVERFLOW_ID;
    const slot = this.slots.acquire(value);
    // Every slot is held (live, or retired and waiting for its fence): overflow until one is freed.
    if (slot < 0) return OVERFLOW_ID;
    this.table.writeTenant(slot, value);
    this.onNewTenant?.(value, TENANT_ID_BASE + slot);
    return TENANT_ID_BASE + slot;
  }
}

/**
 * Maps route patterns to endpoint ids: one table entry per (route, endpoint category) pair, so a record carries
 * both in one word. Each middleware has its own interner (its own category rules); they share the routes budget.
 */
export class EndpointInterner {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly table: StringTableWriter,
    private readonly budget: InternBudget,
    private readonly maxLength: number,
    private readonly categoryOf: (route: string) => string,
  ) {}

  intern(route: string): number {
    const known = this.ids.get(route);
    if (known !== undefined) return known;
    return this.admit(route);
  }

  private admit(route: string): number {
    if (!isCleanLabel(route, this.maxLength) || route.length === 0) return INVALID_ID;
    if (this.budget.used >= this.budget.max) return OVERFLOW_ID;
    const id = this.table.append(route + ENDPOINT_SEPARATOR + this.categoryOf(route));
    if (id < 0) return OVERFLOW_ID;
    this.budget.used++;
    this.ids.set(route, id);
    return id;
  }
}

/**
 * Maps SQL texts to ids. Texts are cut to `maxLength` UTF-16 units before anything else (the full text is never
 * kept or sent), and the worker classifies each distinct text once. Parameters never come here. What the Map keeps
 * is a flat copy of the kept prefix (flat-copy.ts): never a slice, which would keep the whole text alive.
 */
export class SqlInterner {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly table: StringTableWriter,
    private readonly budget: InternBudget,
    private readonly maxLength: number,
  ) {}

  /** Distinct texts held (at most the budget, maxSqlTexts): what the main thread keeps, however many texts it meets. */
  get size(): number {
    return this.ids.size;
  }

  intern(sql: string): number {
    const text = sql.length > this.maxLength ? truncateUtf16(sql, this.maxLength) : sql;
    const known = this.ids.get(text);
    if (known !== undefined) return known;
    if (text.length === 0) return UNKNOWN_ID;
    if (this.budget.used >= this.budget.max) return OVERFLOW_ID;
    // Lone surrogates are harmless here: the text is only classified, never exported; UTF-8 encoding replaces them.
    const id = this.table.append(text);
    if (id < 0) return OVERFLOW_ID;
    this.budget.used++;
    this.ids.set(flatCopy(text), id);
    return id;
  }
}

/** Cuts to at most `maxLength` code units without splitting a surrogate pair. */
export function truncateUtf16(value: string, maxLength: number): string {
  const last = value.charCodeAt(maxLength - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? maxLength - 1 : maxLength;
  return value.slice(0, end);
}
