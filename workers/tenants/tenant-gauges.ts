import { COST_RESOURCES } from '../../src/contract/analytics.js';
import { METRICS } from '../../src/contract/metrics.js';
import { tenantAttributes } from '../aggregation/tenant-attributes.js';
import type { Dictionary } from '../dictionary.js';
import type { Collection } from '../export/collection.js';
import type { Profile } from './tenant-profile.js';

/**
 * tenant_activity_pattern, tenant_cost_share and tenant_anomaly of the last closed interval (from `startMillis`),
 * as gauges over it (no settlement: a gauge that fails to reach the backend is replaced by the next interval's,
 * never resent). Every tenant active in the interval gets a share of each resource (0 for all when nobody used it),
 * and a tenant that was active in the interval before and not in this one gets 0 once: the latest value of every
 * series (what GET /metrics and a last-value panel show) is then the last interval's, and sums to 1 per used resource.
 */
export function collectTenantGauges(
  collection: Collection,
  profiles: Iterable<Profile>,
  dictionary: Dictionary,
  startMillis: number,
): void {
  const start = startMillis;
  for (const p of profiles) {
    // Lets the shard drain its ring meanwhile (Collection.step), as the series walks do.
    collection.step();
    const interval = p.interval;
    const tenant = tenantAttributes(dictionary, p.tenantId);
    if (interval.pattern !== undefined) collection.add(METRICS.tenantActivityPattern, { ...tenant, pattern: interval.pattern }, start, 1);
    // 0 once for the pattern it left, so that a last-value view (GET /metrics, a gauge panel) shows one pattern.
    if (interval.formerPattern !== undefined) {
      collection.add(METRICS.tenantActivityPattern, { ...tenant, pattern: interval.formerPattern }, start, 0);
    }
    const share = interval.costShare;
    if (share !== null || interval.sharesEnded) {
      for (const resource of COST_RESOURCES) {
        collection.add(METRICS.tenantCostShare, { ...tenant, resource }, start, share === null ? 0 : share[resource]);
      }
    }
    for (const signal of interval.flaggedSignals()) collection.add(METRICS.tenantAnomaly, { ...tenant, signal }, start, 1);
    for (const signal of interval.cleared) collection.add(METRICS.tenantAnomaly, { ...tenant, signal }, start, 0);
  }
}
