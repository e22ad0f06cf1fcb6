import type { SeriesStore } from './aggregation/series-store.js';

/** A series store keyed by tenant, and which of its key words holds the tenant id. */
export interface TenantKeyedStore {
  store: SeriesStore;
  tenantWord: number;
}

/** Per-tenant state kept outside the series stores (e.g. per-tenant profiles) forgets here. */
export type TenantForgetter = (tenants: ReadonlySet<number>) => void;

/** What a forget request came to: the tenants whose state is gone, and those kept because data was still pending. */
export interface ForgetOutcome {
  forgotten: number[];
  kept: number[];
}

/**
 * The shard's one place where a tenant is forgotten (docs/design/tenant-retention.md, step 3). Runs on the worker
 * thread only, between drain passes, so no record is being aggregated meanwhile.
 *
 * Never drops unexported data: a tenant with anything pending in any store is kept whole (none of its series is
 * removed) and reported as kept, so the main thread does not free its slot; it is proposed again after the export
 * that settles it. Only after `forget` returns a tenant as forgotten does the worker hold nothing for it, which
 * is what the main thread's fence waits for before the slot may carry another tenant.
 */
export class TenantForgetting {
  private readonly forgetters: TenantForgetter[] = [];

  constructor(private readonly stores: readonly TenantKeyedStore[]) {}

  /** Registers per-tenant state outside the series stores; called with every batch of forgotten tenants. */
  register(forgetter: TenantForgetter): void {
    this.forgetters.push(forgetter);
  }

  /** Those of `ids` with unexported data in some store: they may not be forgotten yet. */
  pendingAmong(ids: ReadonlySet<number>): Set<number> {
    const pending = new Set<number>();
    for (const { store, tenantWord } of this.stores) store.collectPendingTenants(tenantWord, ids, pending);
    return pending;
  }

  forget(ids: readonly number[]): ForgetOutcome {
    const asked = new Set(ids);
    const pending = new Set<number>();
    for (const { store, tenantWord } of this.stores) store.collectPendingTenants(tenantWord, asked, pending);
    const gone = new Set<number>();
    for (const id of asked) if (!pending.has(id)) gone.add(id);
    if (gone.size > 0) {
      for (const { store, tenantWord } of this.stores) store.removeTenants(tenantWord, gone);
      for (const forgetter of this.forgetters) forgetter(gone);
    }
    return { forgotten: [...gone], kept: [...pending] };
  }
}
