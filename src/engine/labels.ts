/**
 * Label ids: the shared string table and the interners that fill it (tenants in their reusable slots, routes, SQL
 * texts, other labels), each with its cap. Records carry these ids, never strings (docs/architecture.md, "The string
 * table"). A known label costs a Map lookup; a new one is checked and appended once.
 */
import { LABEL_LIMITS } from '../contract/label-text.js';
import { INVALID_ID, isPseudoTenant, MAX_OTHER_LABELS, RESERVED_LABELS, TENANT_ID_BASE, UNKNOWN_ID } from '../contract/strings-layout.js';
import type { ResolvedOptions } from '../options/table.js';
import { defaultCategory } from '../strings/endpoint-categories.js';
import { EndpointInterner, InternBudget, LabelInterner, SqlInterner, TenantInterner } from '../strings/interner.js';
import { StringTableWriter } from '../strings/string-table.js';
import { type KnownIds, TenantSlots } from '../strings/tenant-slots.js';
import type { Refusals } from './refusals.js';

export class Labels {
  /** The shared string table every shard's worker reads. */
  readonly strings: StringTableWriter;
  /** Entries the table holds (its layout depends on it: each worker is told). */
  readonly stringTableEntries: number;
  /** Which tenant holds which of the maxTenants reusable slots (tenant retention, tenant-slots.ts). */
  readonly tenantSlots: TenantSlots;
  /** The endpoint interner of `recordHttp` (default category rules). */
  readonly endpoints: EndpointInterner;
  private readonly tenants: TenantInterner;
  private readonly labels: LabelInterner;
  private readonly sqlTexts: SqlInterner;
  private readonly tenantBudget: InternBudget;
  private readonly sqlBudget: InternBudget;
  private readonly routesBudget: InternBudget;

  constructor(
    options: ResolvedOptions,
    private readonly refusals: Refusals,
  ) {
    // Tenants have a region of reusable slots of their own (strings-layout.ts); the append-only part holds the rest.
    this.stringTableEntries = RESERVED_LABELS.length + options.maxRoutes + options.maxSqlTexts + MAX_OTHER_LABELS;
    const bytes =
      options.maxRoutes * (LABEL_LIMITS.route + LABEL_LIMITS.label + 1) * 3 +
      options.maxSqlTexts * LABEL_LIMITS.sql * 3 +
      MAX_OTHER_LABELS * LABEL_LIMITS.label * 3;
    this.strings = new StringTableWriter(this.stringTableEntries, bytes, options.maxTenants);
    this.tenantBudget = new InternBudget(options.maxTenants);
    this.tenantSlots = new TenantSlots(options.maxTenants, options.workers, TENANT_ID_BASE);
    this.tenants = new TenantInterner(this.strings, this.tenantSlots, this.tenantBudget, LABEL_LIMITS.tenantId);
    this.labels = new LabelInterner(this.strings, new InternBudget(MAX_OTHER_LABELS), LABEL_LIMITS.label);
    this.sqlBudget = new InternBudget(options.maxSqlTexts);
    this.sqlTexts = new SqlInterner(this.strings, this.sqlBudget, LABEL_LIMITS.sql);
    this.routesBudget = new InternBudget(options.maxRoutes);
    this.endpoints = this.createEndpointInterner(defaultCategory);
  }

  /**
   * The string id of a tenant id given to a record call or returned by a hook's resolver; `reason` names which
   * (`recordHttp.tenantId`, `honoMetrics.tenant`). Missing (undefined or null): `unknown`. Anything else that is
   * no usable tenant id (not a string, empty, too long, control characters, lone surrogates, or a reserved name:
   * strings-layout.ts) is `invalid`, counted in stats().rejectedBy under `reason` (`<reason>.reserved` for a
   * reserved name). Never negative: the id always names a tenant every shard knows. A known tenant costs one Map
   * lookup and one comparison.
   */
  tenantId(tenantId: unknown, reason: string): number {
    // Kept small, the rare paths out of line: this runs on every record call and request.
    if (typeof tenantId === 'string') {
      const id = this.tenants.intern(tenantId);
      return id !== INVALID_ID ? id : this.invalidTenant(isPseudoTenant(tenantId) ? `${reason}.reserved` : reason);
    }
    return tenantId === undefined || tenantId === null ? UNKNOWN_ID : this.invalidTenant(reason);
  }

  /** `invalid`, counted under `reason`: for a resolver that threw or gave what is no tenant id. */
  invalidTenant(reason: string): number {
    this.refusals.tenantReplaced(reason);
    return INVALID_ID;
  }

  /** Tells `listener` of each tenant that takes a slot, once the slot holds it (tenantCreatedAt). */
  onNewTenant(listener: (tenant: string, id: number) => void): void {
    this.tenants.onNewTenant = listener;
  }

  /** A SQL text's string id (the text cut to LABEL_LIMITS.sql first). */
  sqlId(sql: string): number {
    return this.sqlTexts.intern(sql);
  }

  /** A label's string id (databases, tables, resource and data types). */
  labelId(label: string): number {
    return this.labels.intern(label);
  }

  /** An endpoint interner with its own category rules (each Hono middleware has one); routes share one budget. */
  createEndpointInterner(categoryOf: (route: string) => string): EndpointInterner {
    return new EndpointInterner(this.strings, this.routesBudget, LABEL_LIMITS.route, categoryOf);
  }

  /** configure(): the caps apply to labels not seen yet (a known label keeps its id). */
  setCaps(options: ResolvedOptions): void {
    this.tenantBudget.max = options.maxTenants;
    this.routesBudget.max = options.maxRoutes;
    this.sqlBudget.max = options.maxSqlTexts;
  }

  /** Distinct SQL texts held for classification (at most maxSqlTexts). */
  get sqlTextsHeld(): number {
    return this.sqlTexts.size;
  }

  /**
   * Tenants holding a slot now (at most maxTenants; beyond it new ones are recorded as `__overflow__` until
   * retention frees a slot).
   */
  get tenantsKnown(): number {
    return this.tenantSlots.live;
  }

  /** Tenant slots held now: live tenants and retired ones whose slot is not freed yet (at most maxTenants). */
  get tenantSlotsHeld(): number {
    return this.tenantSlots.held;
  }

  /** The live tenants' ids, as the health bodies look for them to leave them out (operations/tenant-free-text.ts). */
  get liveTenantIds(): KnownIds {
    const slots = this.tenantSlots;
    return { has: (id) => slots.slotOf(id) !== undefined, hasIdOfLength: (units) => slots.hasIdOfLength(units) };
  }
}
