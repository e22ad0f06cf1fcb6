/**
 * The body of GET /metrics/dashboard/data: per tenant and route, the cumulative request and 5xx counts and the
 * cumulative latency histogram, joined from the Prometheus text the workers render, plus the pipeline report of
 * /metrics/health. Totals, not rates: the page derives rates and windowed percentiles from two successive polls,
 * as `rate()` and `histogram_quantile()` would, so that this endpoint keeps no state and any number of open pages
 * see the same figures. Joining is all the main thread does here; the series were rendered in the workers.
 */
import { readSamples } from './prometheus-samples.js';

const REQUESTS = 'http_requests_total';
const DURATION = 'http_request_duration_seconds';
const NAMES = new Set([REQUESTS, `${DURATION}_bucket`, `${DURATION}_sum`]);
/** What a series lacking a label shows (the overflow series of a capped label, for instance). */
const NONE = '(none)';

export interface DashboardSeries {
  tenant: string;
  method: string;
  route: string;
  requests: number;
  serverErrors: number;
  /** Upper bounds of the latency buckets in seconds, ascending, `+Inf` left out. */
  bounds: number[];
  /** Cumulative counts per bound, then the `+Inf` one: bounds.length + 1 numbers. */
  cumulative: number[];
  sumSeconds: number;
}

/** Every tenant × method × route the HTTP metrics hold, summed over status codes and shards, sorted. */
export function dashboardSeries(prometheusText: string): DashboardSeries[] {
  const series = new Map<string, DashboardSeries & { buckets: Map<number, number> }>();
  const entry = (labels: Record<string, string>) => {
    const tenant = labels.tenant_id ?? NONE;
    const method = labels.method ?? NONE;
    const route = labels.route ?? NONE;
    const key = JSON.stringify([tenant, method, route]);
    let found = series.get(key);
    if (found === undefined) {
      found = { tenant, method, route, requests: 0, serverErrors: 0, bounds: [], cumulative: [], sumSeconds: 0, buckets: new Map() };
      series.set(key, found);
    }
    return found;
  };
  for (const { name, labels, value } of readSamples(prometheusText, NAMES)) {
    const target = entry(labels);
    if (name === REQUESTS) {
      target.requests += value;
      if (labels.status_code?.startsWith('5')) target.serverErrors += value;
    } else if (name === `${DURATION}_sum`) {
      target.sumSeconds += value;
    } else {
      const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
      if (!Number.isNaN(le)) target.buckets.set(le, (target.buckets.get(le) ?? 0) + value);
    }
  }
  return [...series.values()]
    .map(({ buckets, ...rest }) => {
      const les = [...buckets.keys()].sort((a, b) => a - b);
      return { ...rest, bounds: les.filter(Number.isFinite), cumulative: les.map((le) => buckets.get(le) ?? 0) };
    })
    .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.route.localeCompare(b.route) || a.method.localeCompare(b.method));
}
