import { OVERFLOW_ID, TENANT_ID_BASE } from '../../src/contract/strings-layout.js';
import type { MemoryBudget } from '../memory-budget.js';

const UNSEEN = 0;
const ADMITTED = 1;
const FOLDED = 2;

/**
 * Share of the worker's budget a new tenant must leave free when it is admitted (beside the share kept for the
 * GET /metrics totals, memory-budget.ts): room for what the tenants already admitted still grow into (new series and
 * cells, sketch buckets) and for the series of `__overflow__` itself, so that a tenant admitted always gets its first
 * series, and what a tenant already admitted adds later seldom has to fold.
 */
export const ADMISSION_HEADROOM_SHARE = 0.2;

/**
 * Which client-chosen tenants get state of their own in this shard (docs/architecture.md, "Memory accounting").
 * A tenant is decided at its first record: admitted if the memory budget holds its profile with the headroom to
 * spare, else folded into `__overflow__`: every record of it is then aggregated under `__overflow__`, in every
 * series and in the analytics, so totals stay exact and nothing of it costs memory of its own. Counted: tenants
 * folded, and their records.
 *
 * A folded tenant is decided again once the budget has given memory back (a tenant forgotten by retention), at
 * its next record; until then, one comparison per record. Retention forgets folded tenants like any other
 * (they hold nothing pending), and a forgotten tenant that returns is decided afresh.
 *
 * Per record this is a typed-array load and a comparison; only a tenant's first record (or a folded tenant's
 * first after a release) reaches `decide`.
 */
export class TenantAdmission {
  /** Per tenant slot: UNSEEN, ADMITTED or FOLDED. */
  private readonly states: Uint8Array;
  /** For a folded tenant: budget.releases (mod 2^32) when it was last refused; it is decided again once that moved. */
  private readonly refusedAt: Uint32Array;
  /** Tenants with state of their own now, and folded now. */
  admitted = 0;
  folded = 0;
  /** Tenants folded since the worker started (a tenant forgotten, back and folded again counts again). */
  foldedTotal = 0;
  /** Records of folded tenants aggregated under `__overflow__` since the worker started. */
  foldedRecords = 0;

  constructor(
    slots: number,
    private readonly budget: MemoryBudget,
    /** Makes the tenant's state (its profile) if the budget holds it; false: it is folded. */
    private readonly admit: (tenantId: number, nowMillis: number) => boolean,
  ) {
    this.states = new Uint8Array(slots);
    this.refusedAt = new Uint32Array(slots);
  }

  /** The id a record of tenant `id` (slot `slot`) is aggregated under: its own, or `__overflow__` when folded. */
  tenantOf(slot: number, id: number, nowMillis: number): number {
    const state = this.states[slot];
    if (state === ADMITTED) return id;
    if (state === FOLDED && this.refusedAt[slot] === this.budget.releases >>> 0) {
      this.foldedRecords++;
      return OVERFLOW_ID;
    }
    return this.decide(slot, id, nowMillis);
  }

  private decide(slot: number, id: number, nowMillis: number): number {
    // A slot beyond the region names no tenant the main thread wrote: aggregated as it comes, as before admission.
    if (slot >= this.states.length) return id;
    const state = this.states[slot];
    if (this.admit(id, nowMillis)) {
      if (state === FOLDED) this.folded--;
      this.states[slot] = ADMITTED;
      this.admitted++;
      return id;
    }
    this.refusedAt[slot] = this.budget.releases >>> 0;
    if (state !== FOLDED) {
      this.states[slot] = FOLDED;
      this.folded++;
      this.foldedTotal++;
    }
    this.foldedRecords++;
    return OVERFLOW_ID;
  }

  /** Whether tenant `id` has state of its own (an id that is not a tenant slot always has). */
  isAdmitted(id: number): boolean {
    const slot = id - TENANT_ID_BASE;
    return slot < 0 || this.states[slot] === ADMITTED;
  }

  /** Retention forgot these tenants (ids as in records): one that returns is decided afresh. */
  forget(ids: Iterable<number>): void {
    for (const id of ids) {
      const slot = id - TENANT_ID_BASE;
      if (slot < 0 || slot >= this.states.length) continue;
      const state = this.states[slot];
      if (state === ADMITTED) this.admitted--;
      else if (state === FOLDED) this.folded--;
      this.states[slot] = UNSEEN;
    }
  }
}
