import { AUX, KEY, RECORD_FLOATS, RECORD_WORDS, TAG, VALUE_FLOAT } from '../../src/contract/ring-layout.js';
import { USAGE_BYTES, tagDetail } from '../../src/contract/codes.js';
import { METRICS } from '../../src/contract/metrics.js';
import type { Dictionary } from '../dictionary.js';
import type { Collection } from '../export/collection.js';
import { collectSum } from './export-helpers.js';
import type { MemoryBudget } from '../memory-budget.js';
import { SumStore } from './sum-store.js';
import { tenantAttributes } from './tenant-attributes.js';

/** Columns of the usage store: the usage, and the part of it that counts as processed bytes (USAGE_BYTES). */
const USAGE = 0;
const PROCESSED_BYTES = 1;

/**
 * Aggregates recordTenantResource usage into tenant_resource_usage_total, and usage whose data type is 'bytes'
 * also into tenant_data_processed_bytes{data_type=<resource type>}. Each metric has its own column, so that each
 * settles on its own: a batch carrying one and not the other moves only its own baseline.
 */
export class UsageAggregator {
  /** Key: (resource type, data type, tenant). */
  readonly usage: SumStore;

  constructor(
    private readonly dictionary: Dictionary,
    maxSeries: number,
    budget: MemoryBudget,
    nowMillis: number,
    private readonly idleMillis: number,
  ) {
    this.usage = new SumStore(3, 2, maxSeries, budget, nowMillis).foldTenants(2);
  }

  get seriesCount(): number {
    return this.usage.size;
  }

  /** `tenant`: the id the shard aggregates the record under (its own, or `__overflow__` when folded). */
  consume(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number, tenant: number): void {
    const at = slot * RECORD_WORDS;
    const series = this.usage.seriesOf(words[at + KEY], words[at + AUX], tenant, nowMillis);
    const usage = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    this.usage.add(series, USAGE, usage);
    if ((tagDetail(words[at + TAG]) & USAGE_BYTES) !== 0) this.usage.add(series, PROCESSED_BYTES, usage);
  }

  collect(collection: Collection): void {
    const { usage, dictionary } = this;
    collectSum(collection, METRICS.tenantResourceUsage, usage, USAGE, this.idleMillis, (s) => ({
      resource_type: dictionary.label(usage.keys[s * 3]),
      data_type: dictionary.label(usage.keys[s * 3 + 1]),
      ...tenantAttributes(dictionary, usage.keys[s * 3 + 2]),
    }));
    // Only 'bytes' usage has this column: one series per (resource type, tenant), since the data type is fixed.
    collectSum(collection, METRICS.tenantDataProcessed, usage, PROCESSED_BYTES, this.idleMillis, (s) => ({
      ...tenantAttributes(dictionary, usage.keys[s * 3 + 2]),
      data_type: dictionary.label(usage.keys[s * 3]),
    }));
  }
}
