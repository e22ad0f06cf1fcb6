/** One memory measurement (see series-memory.ts): `node --expose-gc series-memory-child.js <implementation> <series>`. */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { HTTP_DURATION_BOUNDARIES } from '../src/contract/metrics.js';
import { HistogramStore } from '../workers/aggregation/histogram-store.js';
import { MemoryBudget } from '../workers/memory-budget.js';

const [implementation, seriesText] = process.argv.slice(2);
const series = Number(seriesText);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function used(): number {
  gc!();
  gc!();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
}

class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

// Label values exist before the baseline, so that only the series themselves are measured.
const tenants = Array.from({ length: Math.ceil(series / 20) }, (_, i) => `tenant-${i}`);
const routes = Array.from({ length: 20 }, (_, i) => `/api/r${i}/:id`);
const label = (i: number) => ({ tenant: tenants[Math.floor(i / 20)], route: routes[i % 20] });
const keep: unknown[] = [];

let baseline: number;
if (implementation === 'ringmeter') {
  baseline = used();
  const store = new HistogramStore(3, HTTP_DURATION_BOUNDARIES, series + 1, new MemoryBudget(2 ** 40), Date.now());
  for (let i = 0; i < series; i++) store.record(store.seriesOf(1, i % 20, Math.floor(i / 20) + 6, Date.now()), 0.012);
  keep.push(store);
} else if (implementation === 'opentelemetry-sdk') {
  const reader = new IdleReader({ cardinalitySelector: () => series + 10 });
  const provider = new MeterProvider({ readers: [reader] });
  const histogram = provider.getMeter('bench').createHistogram('http.server.request.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [...HTTP_DURATION_BOUNDARIES] },
  });
  baseline = used();
  for (let i = 0; i < series; i++) {
    const { tenant, route } = label(i);
    histogram.record(0.012, { 'http.request.method': 'GET', 'http.route': route, tenant_id: tenant });
  }
  await reader.collect();
  keep.push(provider, histogram);
} else if (implementation === 'prom-client') {
  const registry = new client.Registry();
  const histogram = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'h',
    labelNames: ['method', 'route', 'tenant_id'],
    buckets: [...HTTP_DURATION_BOUNDARIES],
    registers: [registry],
  });
  baseline = used();
  for (let i = 0; i < series; i++) {
    const { tenant, route } = label(i);
    histogram.observe({ method: 'GET', route, tenant_id: tenant }, 0.012);
  }
  keep.push(registry, histogram);
} else {
  throw new Error(`unknown implementation ${implementation}`);
}
const bytesPerSeries = (used() - baseline) / series;
console.log(JSON.stringify({ implementation, series, bytesPerSeries, kept: keep.length }));
