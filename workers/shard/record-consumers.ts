import { KIND_HTTP, KIND_QUERY, KIND_RUNTIME, KIND_TENANT_USAGE, KIND_TRANSACTION } from '../../src/contract/codes.js';
import type { WorkerConfig } from '../../src/contract/worker-config.js';
import type { DbAggregator } from '../aggregation/db-aggregator.js';
import type { HttpAggregator } from '../aggregation/http-aggregator.js';
import type { RuntimeAggregator } from '../aggregation/runtime-aggregator.js';
import type { UsageAggregator } from '../aggregation/usage-aggregator.js';
import type { Collection } from '../export/collection.js';
import type { TenantForgetter, TenantKeyedStore } from '../tenant-forgetting.js';
import type { TenantProfiles } from '../tenants/tenant-profiles.js';

/** What a consumer does with one record: `tenant` is the id it is accumulated under (its own, or `__overflow__`). */
export type RecordHandler = (words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number, tenant: number) => void;

/**
 * One consumer of drained records: the record kinds it takes, what it gives an export, and what tenant retention
 * must know of it. Every consumer is listed once (recordConsumers), so a new one cannot be fed and then forgotten
 * by retention, or hold a tenant's pending data that retention does not see.
 */
export interface RecordConsumer {
  readonly name: string;
  /** Its handler for each record kind it takes (KIND_*). */
  readonly takes: ReadonlyMap<number, RecordHandler>;
  /** Adds what it holds to an export's or a render's collection, as the metric families' switches say. */
  collect(collection: Collection, families: WorkerConfig['metrics']): void;
  /** Its series keyed by tenant, and which key word holds the tenant: pending data there holds a tenant back. */
  readonly tenantStores: readonly TenantKeyedStore[];
  /** Its per-tenant state outside those stores, forgotten with the tenant (retention's forget hook). */
  readonly forget?: TenantForgetter;
}

/**
 * The shard's record consumers, in the order each record is handed to them (an HTTP record: its series, then its
 * tenant's profile) and each collection is made. Every family's pending deltas are collected whatever its switch
 * says: a family switched off writes no new record, and what it recorded before must not be stranded. Its gauges
 * only while it is on, so that the last values of a family switched off are not repeated at every export.
 */
export function recordConsumers(
  http: HttpAggregator,
  db: DbAggregator,
  usage: UsageAggregator,
  profiles: TenantProfiles,
  runtime: RuntimeAggregator,
): RecordConsumer[] {
  return [
    {
      name: 'http',
      takes: new Map([[KIND_HTTP, (w, f, s, now, tenant) => http.consume(w, f, s, now, tenant)]]),
      collect: (collection) => http.collect(collection),
      // Key words: requests (tag, route, tenant), durations (tag, route, tenant), tenant rows (tenant, category).
      tenantStores: [
        { store: http.requests, tenantWord: 2 },
        { store: http.durations, tenantWord: 2 },
        { store: http.tenants, tenantWord: 0 },
      ],
    },
    {
      name: 'db',
      takes: new Map<number, RecordHandler>([
        [KIND_QUERY, (w, f, s, now, tenant) => db.consumeQuery(w, f, s, now, tenant)],
        [KIND_TRANSACTION, (w, _f, s, now, tenant) => db.consumeTransaction(w, s, now, tenant)],
      ]),
      collect: (collection, families) => db.collect(collection, families.db),
      // queries (tag, tenant), durations (type, table, tenant), transactions (status, tenant).
      tenantStores: [
        { store: db.queries, tenantWord: 1 },
        { store: db.durations, tenantWord: 2 },
        { store: db.transactions, tenantWord: 1 },
      ],
    },
    {
      name: 'usage',
      takes: new Map([[KIND_TENANT_USAGE, (w, f, s, now, tenant) => usage.consume(w, f, s, now, tenant)]]),
      collect: (collection) => usage.collect(collection),
      // usage (resource, data type, tenant).
      tenantStores: [{ store: usage.usage, tenantWord: 2 }],
    },
    {
      name: 'tenant profiles',
      takes: new Map<number, RecordHandler>([
        [KIND_HTTP, (w, f, s, now, tenant) => profiles.consumeHttp(w, f, s, now, tenant)],
        [KIND_QUERY, (w, f, s, now, tenant) => profiles.consumeQuery(w, f, s, now, tenant)],
        [KIND_TENANT_USAGE, (w, f, s, now, tenant) => profiles.consumeUsage(w, f, s, now, tenant)],
      ]),
      // The tenant gauges (activity pattern, cost share, anomaly) of the last closed interval: gauges stop with their
      // family, as the pool and runtime ones do.
      collect: (collection, families) => {
        if (families.tenant) profiles.collect(collection);
      },
      tenantStores: [],
      // Profiles are analytics, never pending export data: they go with the tenant's series, never hold it back.
      forget: (tenants) => profiles.forgetIds(tenants),
    },
    {
      name: 'runtime',
      takes: new Map([[KIND_RUNTIME, (w, f, s, now) => runtime.consume(w, f, s, now)]]),
      collect: (collection, families) => runtime.collect(collection, families.runtime),
      tenantStores: [],
    },
  ];
}

/** The consumers' handlers by record kind (index: KIND_*), each list in the consumers' order; empty: not a kind. */
export function handlersByKind(consumers: readonly RecordConsumer[]): RecordHandler[][] {
  const byKind: RecordHandler[][] = Array.from({ length: 256 }, () => []);
  for (const consumer of consumers) for (const [kind, handler] of consumer.takes) byKind[kind].push(handler);
  return byKind;
}
