import { AUX, KEY, RECORD_FLOATS, RECORD_WORDS, TENANT, VALUE_FLOAT } from '../../src/contract/ring-layout.js';
import { METRICS } from '../../src/contract/metrics.js';
import type { Dictionary } from '../dictionary.js';
import type { Collection } from '../export/collection.js';
import { collectSum } from './export-helpers.js';
import type { MemoryBudget } from './memory-budget.js';
import { SumStore } from './sum-store.js';
import { tenantAttributes } from './tenant-attributes.js';

/** Aggregates recordTenantResource usage into tenant_resource_usage_total. */
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
    this.usage = new SumStore(3, 1, maxSeries, budget, nowMillis);
  }

  get seriesCount(): number {
    return this.usage.size;
  }

  consume(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number): void {
    const at = slot * RECORD_WORDS;
    const series = this.usage.seriesOf(words[at + KEY], words[at + AUX], words[at + TENANT], nowMillis);
    this.usage.add(series, 0, floats[slot * RECORD_FLOATS + VALUE_FLOAT]);
  }

  collect(collection: Collection): void {
    const { usage, dictionary } = this;
    collectSum(collection, METRICS.tenantResourceUsage, usage, 0, this.idleMillis, (s) => ({
      resource_type: dictionary.label(usage.keys[s * 3]),
      data_type: dictionary.label(usage.keys[s * 3 + 1]),
      ...tenantAttributes(dictionary, usage.keys[s * 3 + 2]),
    }));
  }
}
