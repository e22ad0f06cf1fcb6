import type { Attributes } from '@opentelemetry/api';
import { A, AUX, B, KEY, RECORD_FLOATS, RECORD_WORDS, TAG, VALUE_FLOAT } from '../../src/contract/ring-layout.js';
import {
  QUERY_KEY_IS_SQL,
  QUERY_SUCCESS,
  QUERY_TYPE_SHIFT,
  QUERY_UNTIMED,
  TRANSACTION_COMMIT,
  QUERY_TYPES,
  tagCode,
  tagDetail,
} from '../../src/contract/codes.js';
import { METRICS } from '../../src/contract/metrics.js';
import { sqlStateClass } from '../../src/contract/sqlstate.js';
import { OVERFLOW_ID } from '../../src/contract/strings-layout.js';
import type { Dictionary } from '../dictionary.js';
import type { Collection } from '../export/collection.js';
import { SqlResolver } from '../labels/sql-resolver.js';
import { CounterStore } from './counter-store.js';
import { collectCounter } from './export-helpers.js';
import { type DurationAggregation, type DurationStore, collectDurations, durationStore } from './duration-store.js';
import type { MemoryBudget } from '../memory-budget.js';
import { tenantAttributes } from './tenant-attributes.js';

export interface DbAggregatorOptions {
  maxSeries: number;
  budget: MemoryBudget;
  nowMillis: number;
  idleMillis: number;
  /** How the duration histogram is kept and exported (otlp.histogramAggregation). [default: explicit buckets] */
  histogramAggregation?: DurationAggregation;
}

/** Per database: what the pool gauges are derived from (see docs/database.md for their exact meaning). */
interface PoolState {
  /** Most connections in use at once (records' A, capped at B), since the last successful export. */
  peakActive: number;
  /** The client's max, as the latest record carried it. */
  limit: number;
}

/** The success label by code: a query seen by the Drizzle logger hook ran later, its outcome unknown here. */
const SUCCESS_LABELS = ['false', 'true', 'unknown'] as const;
const SUCCESS_UNKNOWN = 2;

/**
 * Aggregates query and transaction records. The SQL text of a query is classified once per distinct text (the
 * record carries only its id); a query recorded by the Drizzle logger hook is counted but not timed.
 */
export class DbAggregator {
  private readonly sql: SqlResolver;
  /** Key: (query type | success code << 4 | SQLSTATE class << 16, tenant); success codes index SUCCESS_LABELS. */
  readonly queries: CounterStore;
  /** Key: (query type, table, tenant). */
  readonly durations: DurationStore;
  /** Key: (status | nested << 8, tenant). */
  readonly transactions: CounterStore;
  private readonly pools = new Map<number, PoolState>();
  /** String id of an explicit table label → table id in `sql.tables` + 1. */
  private explicitTables = new Int32Array(64);
  private readonly idleMillis: number;
  /** Queries whose SQL text arrived after maxSqlTexts (cumulative; exported as a self-metric). */
  sqlTextsOverflowed = 0;

  constructor(
    private readonly dictionary: Dictionary,
    options: DbAggregatorOptions,
  ) {
    const { maxSeries, budget, nowMillis } = options;
    this.sql = new SqlResolver(dictionary);
    this.queries = new CounterStore(2, maxSeries, budget, nowMillis).foldTenants(1);
    this.durations = durationStore(
      options.histogramAggregation ?? 'explicit_bucket_histogram',
      3,
      METRICS.dbQueryDuration,
      maxSeries,
      budget,
      nowMillis,
    ).foldTenants(2);
    this.transactions = new CounterStore(2, maxSeries, budget, nowMillis).foldTenants(1);
    this.idleMillis = options.idleMillis;
  }

  get seriesCount(): number {
    return this.queries.size + this.durations.size + this.transactions.size + this.pools.size;
  }

  /** Queries and transactions whose own count series did not fit and went to `__overflow__`'s. */
  get folded(): number {
    return this.queries.folded + this.transactions.folded;
  }

  get overflowed(): number {
    return this.queries.overflowed + this.durations.overflowed + this.transactions.overflowed;
  }

  /** `tenant`: the id the shard aggregates the record under (its own, or `__overflow__` when folded). */
  consumeQuery(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number, tenant: number): void {
    const at = slot * RECORD_WORDS;
    const tag = words[at + TAG];
    const detail = tagDetail(tag);
    const key = words[at + KEY];
    let queryType: number;
    let table: number;
    if ((detail & QUERY_KEY_IS_SQL) !== 0) {
      if (key === OVERFLOW_ID) this.sqlTextsOverflowed++;
      queryType = this.sql.queryType(key);
      table = this.sql.table(key);
    } else {
      queryType = detail >>> QUERY_TYPE_SHIFT;
      table = this.explicitTable(key);
    }
    const untimed = (detail & QUERY_UNTIMED) !== 0;
    const success = untimed ? SUCCESS_UNKNOWN : (detail & QUERY_SUCCESS) !== 0 ? 1 : 0;
    this.queries.increment(this.queries.seriesOf(queryType | (success << 4) | (tagCode(tag) << 16), tenant, 0, nowMillis));
    if (untimed) return;
    this.durations.record(this.durations.seriesOf(queryType, table, tenant, nowMillis), floats[slot * RECORD_FLOATS + VALUE_FLOAT]);
    const limit = words[at + B];
    if (limit > 0) {
      const active = Math.min(words[at + A], limit);
      const database = words[at + AUX];
      let pool = this.pools.get(database);
      if (pool === undefined) {
        pool = { peakActive: 0, limit };
        this.pools.set(database, pool);
      }
      pool.limit = limit;
      if (active > pool.peakActive) pool.peakActive = active;
    }
  }

  consumeTransaction(words: Uint32Array, slot: number, nowMillis: number, tenant: number): void {
    const at = slot * RECORD_WORDS;
    const tag = words[at + TAG];
    const status = tagDetail(tag);
    const nested = tagCode(tag) === 0 ? 0 : 1;
    this.transactions.increment(this.transactions.seriesOf(status | (nested << 8), tenant, 0, nowMillis));
  }

  /** Adds what is pending, and with `gauges` the pool gauges (off while db metrics are switched off: no stale pools). */
  collect(collection: Collection, gauges = true): void {
    const { dictionary, queries, durations, transactions, sql } = this;
    const idle = this.idleMillis;
    collectCounter(collection, METRICS.dbQueries, queries, idle, (s) => {
      const code = queries.keys[s * 2];
      const attributes: Attributes = {
        query_type: QUERY_TYPES[code & 15],
        success: SUCCESS_LABELS[(code >>> 4) & 3],
        ...tenantAttributes(dictionary, queries.keys[s * 2 + 1]),
      };
      // Only failures carry a class; a query that failed without a SQLSTATE (a dropped connection) has none.
      if (code >>> 16 !== 0) attributes.error_class = sqlStateClass(code >>> 16);
      return attributes;
    });
    collectDurations(collection, METRICS.dbQueryDuration, durations, idle, (s) => ({
      query_type: QUERY_TYPES[durations.keys[s * 3]],
      table: sql.tables.name(durations.keys[s * 3 + 1]),
      ...tenantAttributes(dictionary, durations.keys[s * 3 + 2]),
    }));
    collectCounter(collection, METRICS.dbTransactions, transactions, idle, (s) => {
      const code = transactions.keys[s * 2];
      return {
        status: (code & 0xff) === TRANSACTION_COMMIT ? 'commit' : 'rollback',
        nested: code >>> 8 === 1 ? 'true' : 'false',
        ...tenantAttributes(dictionary, transactions.keys[s * 2 + 1]),
      };
    });
    if (!gauges) return;
    for (const [database, pool] of this.pools) {
      const attributes = { database: dictionary.label(database) };
      // Take the peak now, so that queries arriving during the export start the next interval's peak.
      const active = pool.peakActive;
      pool.peakActive = 0;
      const settlement = {
        commit: () => {},
        abort: () => {
          pool.peakActive = Math.max(pool.peakActive, active);
        },
      };
      collection.add(METRICS.dbConnectionsActive, attributes, collection.endMillis, active, settlement);
      collection.add(METRICS.dbConnectionsIdle, attributes, collection.endMillis, Math.max(0, pool.limit - active));
    }
  }

  private explicitTable(labelId: number): number {
    if (labelId >= this.explicitTables.length) {
      let length = this.explicitTables.length;
      while (length <= labelId) length *= 2;
      const grown = new Int32Array(length);
      grown.set(this.explicitTables);
      this.explicitTables = grown;
    }
    let table = this.explicitTables[labelId];
    if (table === 0) {
      table = this.sql.tables.idOf(this.dictionary.label(labelId)) + 1;
      this.explicitTables[labelId] = table;
    }
    return table - 1;
  }
}
