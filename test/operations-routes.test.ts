import { afterEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { Collector } from 'ringmeter';
import { honoMetrics, operationsRoutes } from 'ringmeter/hono';
import { internals } from 'ringmeter/internal';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline, valuesByLabels } from './support/harness.js';

let collector: Collector;
let receiver: OtlpReceiver;

afterEach(async () => {
  await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
  await receiver?.stop();
});

async function setUp(options: Parameters<typeof startPipeline>[0] = {}): Promise<Hono> {
  ({ collector, receiver } = await startPipeline({ otlp: { timeoutMillis: 1_000 }, ...options }));
  const app = new Hono();
  app.use(honoMetrics(collector));
  app.route('/', operationsRoutes(collector));
  app.get('/users/:id', (c) => c.text('user'));
  app.post('/orders', (c) => c.text('order', 201));
  return app;
}

async function traffic(app: Hono): Promise<void> {
  for (let i = 0; i < 3; i++) await app.request('/users/1', { headers: { 'x-tenant-id': 'acme' } });
  for (let i = 0; i < 2; i++) await app.request('/orders', { method: 'POST', headers: { 'x-tenant-id': 'globex' } });
  await app.request('/users/2', { headers: { 'x-tenant-id': 'globex' } });
}

async function json(app: Hono, path: string): Promise<{ status: number; body: Record<string, any> }> {
  const response = await app.request(path);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** `{ 'labels': value }` of one family's plain samples (no _bucket), from Prometheus text. */
function samples(text: string, name: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    result[match[2] ?? ''] = Number(match[3]);
  }
  return result;
}

describe('operationsRoutes when healthy', () => {
  it('answers every endpoint with its shape, and none of their requests counts as traffic', async () => {
    const app = await setUp();
    await traffic(app);
    await collector.flush();

    const health = await json(app, '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'healthy',
      reasons: [],
      services: {
        business_metrics: {
          status: 'healthy',
          enabled: true,
          active_tenants: 2,
          memory_usage: { max_bytes: collector.options.maxMemoryBytes },
        },
        signoz_export: {
          status: 'healthy',
          success_rate: 1,
          failed_exports: 0,
          configuration: { endpoint: receiver.url, interval: '3600s', interval_millis: 3_600_000, batchSize: 512 },
        },
      },
    });
    expect(health.body.services.signoz_export.total_exports).toBeGreaterThan(0);
    expect(Date.parse(health.body.services.signoz_export.last_export_at)).toBeGreaterThan(Date.now() - 60_000);

    const pipeline = await json(app, '/metrics/health');
    expect(pipeline.status).toBe(200);
    expect(pipeline.body).toMatchObject({
      status: 'healthy',
      ring: { capacity: 16_384, written: 6 },
      overflow: {
        spilled: 0,
        records: 0,
        bytes: 0,
        folded: 0,
        folded_to_overflow: 0,
        fold_entries: { used: 0, series_bound: 0, capacity: 0 },
      },
      records: { dropped: 0, rejected: 0, lost: 0, possibly_delivered: 0 },
      workers: { count: 1, running: 1, restarts: 0 },
      export: { last_ok: true, last_error: null, failed: 0 },
      series: { max_per_metric: 100_000, overflowed_records: 0 },
    });
    expect(pipeline.body.series.held).toBeGreaterThan(0);

    const performance = await json(app, '/otel/performance');
    expect(performance.status).toBe(200);
    expect(performance.body).toMatchObject({ records: 6, drain_lag: { records: 0 }, main_thread_cost_per_record_nanos: null });
    expect(performance.body.export_duration_millis.samples).toBeGreaterThan(0);
    expect(performance.body.export_duration_millis.p99).toBeGreaterThanOrEqual(performance.body.export_duration_millis.p50);
    // Since the previous call: nothing was recorded in between (the probes themselves are not traffic).
    expect((await json(app, '/otel/performance')).body.records).toBe(0);

    const scrape = await app.request('/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await scrape.text();
    expect(samples(text, 'http_requests_total')).toEqual({
      '{method="GET",route="/users/:id",status_code="200",tenant_id="acme"}': 3,
      '{method="POST",route="/orders",status_code="201",tenant_id="globex"}': 2,
      '{method="GET",route="/users/:id",status_code="200",tenant_id="globex"}': 1,
    });
    expect(text.match(/^# TYPE http_requests_total counter$/gm)).toHaveLength(1);
    expect(text).toContain('http_request_duration_seconds_bucket{method="GET",route="/users/:id",tenant_id="acme",le="+Inf"} 3');

    // Every probe and scrape above went through honoMetrics, and none was recorded.
    await collector.flush();
    const routes = new Set(receiver.points.filter((p) => p.metric === 'http_requests_total').map((p) => p.attributes.route));
    expect([...routes].sort()).toEqual(['/orders', '/users/:id']);
  });

  it('serves OpenMetrics when the scraper asks for it', async () => {
    const app = await setUp();
    await traffic(app);
    const response = await app.request('/metrics', { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' } });
    expect(response.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const text = await response.text();
    expect(text).toMatch(/# TYPE http_requests counter\n/);
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('gives /metrics totals equal to what OTLP delivered for the same records, across several exports', async () => {
    const app = await setUp();
    await traffic(app);
    await collector.flush();
    await traffic(app);
    collector.recordTenantResource({ tenantId: 'acme', resourceType: 'storage', usage: 2.5 });
    await collector.flush();
    const text = await (await app.request('/metrics')).text();
    const otlp = valuesByLabels(receiver.points, 'http_requests_total');
    const prometheus = samples(text, 'http_requests_total');
    expect(Object.values(prometheus).reduce((a, b) => a + b, 0)).toBe(12);
    for (const [labels, value] of Object.entries(otlp)) {
      const attributes = Object.fromEntries(labels.split(',').map((pair) => pair.split('=') as [string, string]));
      const key = `{method="${attributes.method}",route="${attributes.route}",status_code="${attributes.status_code}",tenant_id="${attributes.tenant_id}"}`;
      expect(prometheus[key]).toBe(value);
    }
    const otlpCount = valuesByLabels(receiver.points, 'http_request_duration_seconds');
    expect(Object.values(samples(text, 'http_request_duration_seconds_count')).reduce((a, b) => a + b, 0)).toBe(
      Object.values(otlpCount).reduce((a, b) => a + b, 0),
    );
    const otlpSum = receiver.points.filter((p) => p.metric === 'http_request_duration_seconds').reduce((s, p) => s + (p.sum ?? 0), 0);
    const promSum = Object.values(samples(text, 'http_request_duration_seconds_sum')).reduce((a, b) => a + b, 0);
    expect(promSum).toBeCloseTo(otlpSum, 9);
    expect(samples(text, 'tenant_resource_usage_total')).toEqual({ '{resource_type="storage",data_type="unknown",tenant_id="acme"}': 2.5 });
    const written = receiver.points.filter((p) => p.metric === 'ringmeter.records.written').reduce((s, p) => s + (p.value ?? 0), 0);
    expect(samples(text, 'ringmeter_records_written_total')).toEqual({ '': written });
    // Rendering settled nothing: the next export carries only what came after.
    await traffic(app);
    const before = receiver.points.length;
    await collector.flush();
    const next = valuesByLabels(receiver.points.slice(before), 'http_requests_total');
    expect(Object.values(next).reduce((a, b) => a + b, 0)).toBe(6);
  });
});

describe('operationsRoutes when something is wrong', () => {
  it('answers 503 with the reason when the backend refuses (503) or is gone', async () => {
    const app = await setUp();
    receiver.respond = () => ({ status: 503, body: 'down' });
    await traffic(app);
    await expect(collector.flush()).rejects.toThrow();
    const health = await json(app, '/health');
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('unhealthy');
    expect(health.body.reasons.join(' ')).toMatch(/the last export failed/);
    expect(health.body.services.signoz_export).toMatchObject({ status: 'unhealthy', success_rate: 0, failed_exports: 1 });
    const pipeline = await json(app, '/metrics/health');
    expect(pipeline.status).toBe(503);
    expect(pipeline.body.export).toMatchObject({ last_ok: false, failed: 1 });
    // Still scrapeable: the pending records are counted once, and stay pending for OTLP.
    const text = await (await app.request('/metrics')).text();
    expect(Object.values(samples(text, 'http_requests_total')).reduce((a, b) => a + b, 0)).toBe(6);

    await receiver.stop();
    await expect(collector.flush()).rejects.toThrow();
    expect((await json(app, '/health')).status).toBe(503);
  });

  it('reports a killed worker, and still renders /metrics from its replacement', async () => {
    const app = await setUp();
    await traffic(app);
    // A render drains the ring first: the six records are then aggregated, unexported, and die with the worker.
    await app.request('/metrics');
    await internals(collector).testHooks.killWorker();
    const pipeline = await json(app, '/metrics/health');
    expect(pipeline.body.workers).toMatchObject({ count: 1, running: 1, restarts: 1 });
    expect(pipeline.body.records.lost).toBe(6);
    expect(pipeline.status).toBe(200);
    expect(pipeline.body.status).toBe('degraded');
    expect(pipeline.body.reasons.join(' ')).toMatch(/a worker died/);
    const health = await json(app, '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    const scrape = await app.request('/metrics');
    expect(scrape.status).toBe(200);
    expect(samples(await scrape.text(), 'ringmeter_records_lost_total')).toEqual({ '{reason="worker_exit"}': 6 });
  });

  it('marks exports that stopped finishing as unhealthy', async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono().route('/', operationsRoutes(collector, { staleExportMillis: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const health = await json(app, '/health');
    expect(health.status).toBe(503);
    expect(health.body.reasons.join(' ')).toMatch(/no export has finished/);
  });
});

describe('operationsRoutes options', () => {
  it('mounts at the paths given, leaves out those set to false', async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono().route('/ops', operationsRoutes(collector, { paths: { health: '/live', metrics: false } }));
    expect((await app.request('/ops/live')).status).toBe(200);
    expect((await app.request('/ops/metrics')).status).toBe(404);
    expect((await app.request('/ops/metrics/health')).status).toBe(200);
  });

  it('refuses misspelt and bad options, naming them', async () => {
    ({ collector, receiver } = await startPipeline());
    expect(() => operationsRoutes(collector, { pahts: {} } as never)).toThrow(
      new TypeError('options.pahts is not an option (did you mean paths?)'),
    );
    expect(() => operationsRoutes(collector, { paths: { helth: '/h' } } as never)).toThrow(
      new TypeError('options.paths.helth is not an option (did you mean health?)'),
    );
    expect(() => operationsRoutes(collector, { paths: { health: 'health' } })).toThrow(RangeError);
    expect(() => operationsRoutes(collector, { paths: { health: '/x', metrics: '/x' } })).toThrow(/repeats the path/);
    expect(() => operationsRoutes(collector, { scrapeTimeoutMillis: 0 })).toThrow(
      new RangeError('options.scrapeTimeoutMillis must be an integer from 1 to 86400000 (got 0)'),
    );
    expect(() => operationsRoutes(collector, { staleExportMillis: '1' as never })).toThrow(TypeError);
    expect(() => operationsRoutes({} as never)).toThrow(
      new TypeError('collector must be a ringmeter Collector (what createCollector() returns; got object)'),
    );
  });

  it('never shows credentials or a query string of the endpoint', async () => {
    ({ collector, receiver } = await startPipeline());
    const secret = await startPipeline({
      otlp: { endpoint: `http://user:hunter2@127.0.0.1:1/v1/metrics?api_key=abc`, headers: { 'signoz-ingestion-key': 'k-123' } },
    });
    const app = new Hono().route('/', operationsRoutes(secret.collector));
    const body = await (await app.request('/health')).text();
    expect(JSON.parse(body).services.signoz_export.configuration.endpoint).toBe('http://127.0.0.1:1/v1/metrics');
    expect(body).not.toMatch(/hunter2|api_key|abc|k-123/);
    await secret.collector.shutdown({ timeoutMillis: 500 }).catch(() => {});
    await secret.receiver.stop();
  });
});
