import type { RingHeader } from '../../src/contract/ring-header.js';
import { TENANT_ID_BASE } from '../../src/contract/strings-layout.js';
import type { WorkerToMain } from '../../src/contract/protocol.js';
import type { CumulativeTotals } from '../export/cumulative-totals.js';
import { type ForgetOutcome, TenantForgetting } from '../tenant-forgetting.js';
import type { Accumulation } from './accumulation.js';
import type { Drain } from './drain.js';

/** What retention reads of the shard's settings. */
export interface RetentionSettings {
  shard: number;
  shards: number;
  tenantRetentionMillis: number;
}

/**
 * The worker's side of tenant retention (docs/design/tenant-retention.md): proposes idle tenants after each
 * export, forgets those the main thread retires, and keeps whole a tenant whose data is still pending until an
 * export settles it. Runs on the worker thread only, between drain passes.
 */
export class TenantRetention {
  /**
   * Tenant retention's single forget point: every store keyed by tenant is listed once here. Per-tenant state
   * elsewhere (the analytics profiles, the GET /metrics totals) registers its forget hook with it.
   */
  readonly forgetting: TenantForgetting;
  /** Tenants the main thread retired while they still had data pending: forgotten after the export that settles it. */
  private readonly forgetAfterExport = new Set<number>();
  /** Test hook: tenantsForget messages kept instead of obeyed (undefined: obeyed at once). */
  private heldForgets: number[][] | undefined;

  constructor(
    private readonly accumulation: Accumulation,
    totals: CumulativeTotals,
    private readonly drain: Drain,
    private readonly header: RingHeader,
    private readonly settings: RetentionSettings,
    private readonly post: (message: WorkerToMain) => void,
    /** Publishes what the accumulation holds now (what forgetting gave back). */
    private readonly publishMemory: () => void,
  ) {
    const { consumers, admission, dictionary } = accumulation;
    this.forgetting = new TenantForgetting(consumers.flatMap((consumer) => consumer.tenantStores));
    for (const consumer of consumers) if (consumer.forget !== undefined) this.forgetting.register(consumer.forget);
    // GET /metrics totals: by label value, read before the main thread may give the slot to another tenant. A
    // folded tenant has none (its records are `__overflow__`'s), and its label is never decoded.
    this.forgetting.register((tenants) =>
      totals.forgetTenants([...tenants].filter((id) => admission.isAdmitted(id)).map((id) => dictionary.label(id))),
    );
    // Last: a tenant that returns is decided afresh, and its slot's label decoded again.
    this.forgetting.register((tenants) => {
      admission.forget(tenants);
      for (const id of tenants) dictionary.forgetTenant(id);
    });
  }

  /**
   * Forgets these tenants' state unless some of it is still unexported (those are kept, whole). Call between
   * drain passes, after draining: see docs/design/tenant-retention.md for the handshake around it.
   */
  forget(ids: readonly number[]): ForgetOutcome {
    return this.forgetting.forget(ids);
  }

  /** A tenantsForget message: obeyed at once, unless the test hook holds it. */
  retired(ids: number[]): void {
    if (this.heldForgets !== undefined) this.heldForgets.push(ids);
    else this.forgetRetired(ids);
  }

  /** Test hook: keep tenantsForget messages unobeyed, or obey the kept ones now. */
  holdForgets(held: boolean): void {
    const kept = this.heldForgets;
    this.heldForgets = held ? (kept ?? []) : undefined;
    if (!held && kept !== undefined) for (const ids of kept) this.forgetRetired(ids);
  }

  /**
   * Step 3: the main thread retired these tenants. Everything published is drained first, so that any record of
   * theirs written before the retirement is accumulated; a tenant with pending data is kept whole until an export
   * settles it. Reports what it forgot.
   */
  forgetRetired(ids: readonly number[]): void {
    this.drain.drainAll();
    const outcome = this.forget(ids);
    for (const id of outcome.kept) this.forgetAfterExport.add(id);
    for (const id of outcome.forgotten) {
      this.forgetAfterExport.delete(id);
      this.accumulation.tenantLastSeen[id - TENANT_ID_BASE] = 0;
    }
    if (outcome.forgotten.length === 0) return;
    // What they held is given back now, not at the next drain pass.
    this.publishMemory();
    this.post({ type: 'tenantsForgotten', ids: outcome.forgotten, readIndex: this.drain.ring.readIndex >>> 0 });
  }

  /**
   * After an export has settled what it could: forgets the retired tenants that were kept for their pending data
   * and no longer have any, then proposes the tenants idle for tenantRetentionMillis with nothing pending (step 1
   * of docs/design/tenant-retention.md). Synchronous: no record is accumulated meanwhile, so the proposal's
   * readIndex covers exactly the records the idle times were read from.
   */
  afterExportSettled(nowMillis: number): void {
    if (this.forgetAfterExport.size > 0) this.forgetRetired([...this.forgetAfterExport]);
    const proposal = this.idleTenants(nowMillis);
    if (proposal.length > 0) {
      this.post({
        type: 'tenantsIdle',
        ids: proposal,
        readIndex: this.drain.ring.readIndex >>> 0,
        spillSegmentsRead: this.header.spillSegmentsRead >>> 0,
      });
    }
  }

  /** This shard's tenants with no record for tenantRetentionMillis and nothing pending (ids as in records). */
  idleTenants(nowMillis: number): number[] {
    const lastSeen = this.accumulation.tenantLastSeen;
    const retention = this.settings.tenantRetentionMillis;
    const candidates = new Set<number>();
    // Only this shard's slots: a tenant's records all go to shard (TENANT_ID_BASE + slot) % shards.
    const { shard, shards } = this.settings;
    const first = (((shard - (TENANT_ID_BASE % shards)) % shards) + shards) % shards;
    for (let slot = first; slot < lastSeen.length; slot += shards) {
      const seen = lastSeen[slot];
      if (seen === 0 || nowMillis - seen < retention) continue;
      const id = TENANT_ID_BASE + slot;
      if (!this.forgetAfterExport.has(id)) candidates.add(id);
    }
    if (candidates.size === 0) return [];
    const pending = this.forgetting.pendingAmong(candidates);
    return [...candidates].filter((id) => !pending.has(id));
  }
}
