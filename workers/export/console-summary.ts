/**
 * The console exporter: one interval's settled data points as a few readable lines, for development. It reads
 * the very batches an OTLP export carries (delta values), so what it prints for an interval is what the backend
 * would get for it; the shard posts the text to the main thread, which writes it to stdout in one call.
 *
 * The output is sorted and fixed in form (counts as integers, shares with one decimal, p95 as a bucket bound in
 * whole milliseconds) so that a test can compare it line by line. A p95 is the upper bound of the bucket that holds
 * the 95th-percentile observation (nearest rank): as precise as the histogram's buckets, never interpolated;
 * `>10000ms` when it fell beyond the last bound.
 */
import { METRICS, type MetricDefinition } from '../../src/contract/metrics.js';
import type { Batch, HistogramValue, PointValue } from './collection.js';
import { explicitValue } from './explicit-view.js';

/** Tenants, routes and query groups shown per interval, the busiest first. */
export const CONSOLE_TOP = 5;
const PREFIX = '[ringmeter]';

/** Requests, 5xx responses and merged duration buckets of one tenant, route or query group. */
interface Tally {
  count: number;
  errors: number;
  buckets: number[];
}

type Tallies = Map<string, Tally>;

/** Renders one interval; `endMillis` is the collection's end, `shard` names the shard when there are several. */
export function consoleSummary(batches: readonly Batch[], endMillis: number, shard: number | undefined): string {
  const tenants: Tallies = new Map();
  const routes: Tallies = new Map();
  const queries: Tallies = new Map();
  const http: Tally = tally();
  const db: Tally = tally();
  let written = 0;
  let spilled = 0;
  let dropped = 0;
  let overflowed = 0;
  const all = batches.map((batch) => batch.allPoints());
  const each = (definition: MetricDefinition, visit: (attributes: Record<string, unknown>, value: PointValue) => void) => {
    for (const points of all)
      for (const point of points.get(definition) ?? []) visit(point.attributes, explicitValue(definition, point.value));
  };
  each(METRICS.httpRequests, (a, value) => {
    const count = value as number;
    const errors = Number(a.status_code) >= 500 ? count : 0;
    for (const target of [http, entry(tenants, String(a.tenant_id)), entry(routes, `${a.method} ${a.route}`)]) {
      target.count += count;
      target.errors += errors;
    }
  });
  each(METRICS.httpDuration, (a, value) => {
    const buckets = (value as HistogramValue).counts;
    for (const target of [http, entry(tenants, String(a.tenant_id)), entry(routes, `${a.method} ${a.route}`)]) add(target, buckets);
  });
  each(METRICS.dbQueries, (a, value) => {
    db.count += value as number;
    if (a.success === 'false') db.errors += value as number;
  });
  each(METRICS.dbQueryDuration, (a, value) => {
    const histogram = value as HistogramValue;
    const group = entry(queries, `${a.query_type} ${a.table}`);
    group.count += histogram.count;
    add(group, histogram.counts);
    add(db, histogram.counts);
  });
  each(METRICS.recordsWritten, (_a, value) => {
    written += value as number;
  });
  each(METRICS.recordsSpilled, (_a, value) => {
    spilled += value as number;
  });
  each(METRICS.recordsDropped, (_a, value) => {
    dropped += value as number;
  });
  each(METRICS.seriesOverflowed, (_a, value) => {
    overflowed += value as number;
  });

  const httpBounds = METRICS.httpDuration.boundaries ?? [];
  const dbBounds = METRICS.dbQueryDuration.boundaries ?? [];
  const where = shard === undefined ? '' : ` shard ${shard}`;
  const lines = [
    `${PREFIX} ${new Date(endMillis).toISOString()}${where}: ${http.count} requests, ${errorShare(http)}, ${p95(http, httpBounds)}; ` +
      `${db.count} queries, ${db.errors} failed, ${p95(db, dbBounds)}; ` +
      `records ${written} written, ${spilled} overflowed, ${dropped} dropped; ${overflowed} series overflowed`,
  ];
  for (const [name, t] of top(tenants))
    lines.push(`${PREFIX}   tenant ${name}: ${t.count} requests, ${errorShare(t)}, ${p95(t, httpBounds)}`);
  for (const [name, t] of top(routes))
    lines.push(`${PREFIX}   route ${name}: ${t.count} requests, ${errorShare(t)}, ${p95(t, httpBounds)}`);
  for (const [name, t] of top(queries)) lines.push(`${PREFIX}   query ${name}: ${t.count} queries, ${p95(t, dbBounds)}`);
  return `${lines.join('\n')}\n`;
}

function tally(): Tally {
  return { count: 0, errors: 0, buckets: [] };
}

function entry(tallies: Tallies, key: string): Tally {
  let found = tallies.get(key);
  if (found === undefined) {
    found = tally();
    tallies.set(key, found);
  }
  return found;
}

function add(target: Tally, counts: ArrayLike<number>): void {
  for (let i = 0; i < counts.length; i++) target.buckets[i] = (target.buckets[i] ?? 0) + counts[i];
}

/** The busiest CONSOLE_TOP, by count, then by name so that ties print in a fixed order. */
function top(tallies: Tallies): [string, Tally][] {
  return [...tallies]
    .filter(([, t]) => t.count > 0)
    .sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, CONSOLE_TOP);
}

function errorShare(t: Tally): string {
  const share = t.count === 0 ? 0 : (100 * t.errors) / t.count;
  return `${t.errors} 5xx (${share.toFixed(1)}%)`;
}

function p95(t: Tally, boundaries: readonly number[]): string {
  const total = t.buckets.reduce((sum, count) => sum + count, 0);
  if (total === 0) return 'p95 -';
  const rank = Math.ceil(0.95 * total);
  let seen = 0;
  for (let i = 0; i < t.buckets.length; i++) {
    seen += t.buckets[i];
    if (seen >= rank) {
      return i < boundaries.length
        ? `p95<=${Math.round(boundaries[i] * 1000)}ms`
        : `p95>${Math.round(boundaries[boundaries.length - 1] * 1000)}ms`;
    }
  }
  return 'p95 -';
}
