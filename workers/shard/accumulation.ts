import { KIND_HTTP, tagKind } from '../../src/contract/codes.js';
import { foldable, foldKeyHash } from '../../src/contract/fold-layout.js';
import type { HeldSeries } from '../../src/contract/held-series.js';
import { A, AUX, B, KEY, RECORD_WORDS } from '../../src/contract/ring-layout.js';
import { OVERFLOW_ID } from '../../src/contract/strings-layout.js';
import { tagOf, tenantOf, tenantSlotOf } from '../../src/contract/record-codec.js';
import type { WorkerConfig } from '../../src/contract/worker-config.js';
import { DbAggregator } from '../aggregation/db-aggregator.js';
import { HttpAggregator } from '../aggregation/http-aggregator.js';
import { RuntimeAggregator } from '../aggregation/runtime-aggregator.js';
import { UsageAggregator } from '../aggregation/usage-aggregator.js';
import type { Dictionary } from '../dictionary.js';
import type { Collection } from '../export/collection.js';
import type { SelfMetrics } from '../export/self-metrics.js';
import type { MemoryBudget } from '../memory-budget.js';
import { RecordCheck } from '../record-check.js';
import { ADMISSION_HEADROOM_SHARE, TenantAdmission } from '../tenants/tenant-admission.js';
import { TenantProfiles } from '../tenants/tenant-profiles.js';
import { handlersByKind, type RecordConsumer, type RecordHandler, recordConsumers } from './record-consumers.js';

/**
 * The shard's accumulation: what each drained record is added to (the metric families' series stores, the tenant
 * profiles of the analytics), and what an export or a render collects from. Only the worker thread touches it, one
 * record at a time, so nothing here locks.
 */
export class Accumulation {
  /** Refuses, at drain time, a record naming what nothing can resolve (record-check.ts). */
  private readonly check: RecordCheck;
  readonly http: HttpAggregator;
  readonly db: DbAggregator;
  readonly usage: UsageAggregator;
  readonly runtime: RuntimeAggregator;
  /** Per-tenant analytics (workers/tenants), read by `analytics` messages; never exported state. */
  readonly profiles: TenantProfiles;
  /** Which client-chosen tenants get state of their own; the others are folded into `__overflow__`. */
  readonly admission: TenantAdmission;
  /**
   * Tenant retention: when each tenant slot's last record was accumulated (ms on the shard's clock; 0: no state
   * here). One store per record; the idle scan after each export reads it (docs/design/tenant-retention.md).
   */
  readonly tenantLastSeen: Float64Array;
  /** Everything a record is handed to, each with what retention must know of it (record-consumers.ts). */
  readonly consumers: readonly RecordConsumer[];
  /** The consumers' handlers by record kind: one array read per record, no switch to keep in step with the list. */
  private readonly byKind: RecordHandler[][];
  private readonly heldSeries: HeldSeries | undefined;

  constructor(
    readonly dictionary: Dictionary,
    private readonly config: WorkerConfig,
    budget: MemoryBudget,
    nowMillis: number,
    /** The series this worker holds, as the main thread's fold sees them (held-series.ts); none in unit tests. */
    heldSeries?: HeldSeries,
  ) {
    this.heldSeries = heldSeries;
    this.check = new RecordCheck(dictionary, config.shard, config.shards);
    this.tenantLastSeen = new Float64Array(config.tenantSlots);
    const common = {
      maxSeries: config.maxSeries,
      budget,
      nowMillis,
      idleMillis: config.seriesIdleMillis,
      histogramAggregation: config.otlp.histogramAggregation,
    };
    this.http = new HttpAggregator(dictionary, { ...common, tenantMetrics: config.metrics.tenant, heldSeries });
    this.db = new DbAggregator(dictionary, common);
    this.usage = new UsageAggregator(dictionary, config.maxSeries, budget, nowMillis, config.seriesIdleMillis);
    this.runtime = new RuntimeAggregator(config.maxSeries, budget, nowMillis, config.seriesIdleMillis);
    this.profiles = new TenantProfiles(dictionary, config.shard, config.activity, nowMillis, config.slowQueryMillis / 1000, budget);
    const headroomBytes = Math.floor(budget.limitBytes * ADMISSION_HEADROOM_SHARE);
    this.consumers = recordConsumers(this.http, this.db, this.usage, this.profiles, this.runtime);
    this.byKind = handlersByKind(this.consumers);
    this.admission = new TenantAdmission(config.tenantSlots, budget, (id, now) =>
      this.profiles.admit(id, now, headroomBytes, dictionary.tenantLabelBytes(id)),
    );
  }

  /**
   * Accumulates one record. A record the worker cannot use (an unknown kind or code, an id that resolves to nothing,
   * an implausible value: record-check.ts) is skipped and counted, never thrown: a replacement worker resumes at
   * the same slot, so a throw here would crash-loop, and one at the next export would lose every tenant's data.
   */
  consume(words: Uint32Array, floats: Float64Array, slot: number, now: number): boolean {
    if (!this.check.usable(words, floats, slot)) return false;
    const recorded = tenantOf(words, slot);
    let tenant = recorded;
    const tenantSlot = tenantSlotOf(tenant);
    if (tenantSlot >= 0) {
      this.tenantLastSeen[tenantSlot] = now;
      // A client-chosen tenant: its own id once admitted, `__overflow__` while folded (tenant-admission.ts).
      tenant = this.admission.tenantOf(tenantSlot, tenant, now);
    }
    const tag = tagOf(words, slot);
    const kind = tagKind(tag);
    // Tell the main thread's fold that this series is held here, so that a burst keeps it whole (held-series.ts).
    // HTTP's request series say so themselves, once per series (http-aggregator.ts); the other kinds per record,
    // as soon as their tenant is admitted (a series their store then puts under `__overflow__` is told too: it gets
    // a fold entry it does not need, and the store decides again at the replay).
    if (kind !== KIND_HTTP && tenant === recorded && tenant !== OVERFLOW_ID && this.heldSeries !== undefined && foldable(kind)) {
      const at = slot * RECORD_WORDS;
      this.heldSeries.add(foldKeyHash(tag, words[at + KEY], tenant, words[at + AUX], words[at + A], words[at + B]));
    }
    const handlers = this.byKind[kind];
    for (let i = 0; i < handlers.length; i++) handlers[i](words, floats, slot, now, tenant);
    return handlers.length > 0;
  }

  /** Every consumer's part of an export or a render, in the consumers' order (record-consumers.ts). */
  collect(collection: Collection): void {
    for (const consumer of this.consumers) consumer.collect(collection, this.config.metrics);
  }

  /** What the self-metrics say of the accumulation's bounds at an export: series dropped, tenants folded. */
  reportBounds(self: SelfMetrics): void {
    self.setOverflowed('http', this.http.overflowed);
    self.setOverflowed('db', this.db.overflowed);
    self.setOverflowed('tenant', this.usage.usage.overflowed);
    self.setSqlTextsOverflowed(this.db.sqlTextsOverflowed);
    self.setFolded(this.admission.foldedTotal, this.recordsFolded);
  }

  /**
   * Records accumulated under `__overflow__` because of the memory bound: every record of a folded tenant, and each
   * record of an admitted one whose own count series (request, query, transaction, usage) did not fit.
   */
  get recordsFolded(): number {
    return this.admission.foldedRecords + this.http.folded + this.db.folded + this.usage.usage.folded;
  }

  /** Records dropped because their family's series cap was reached. */
  get overflowed(): number {
    return this.http.overflowed + this.db.overflowed + this.usage.usage.overflowed;
  }

  get seriesCount(): number {
    return this.http.seriesCount + this.db.seriesCount + this.usage.seriesCount;
  }
}
