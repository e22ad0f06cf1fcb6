import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardData } from '../dist/src/contract/dashboard.js';
import { Hono } from 'hono';
import type { Collector } from 'ringmeter';
import { honoMetrics, operationsRoutes } from 'ringmeter/hono';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline } from './support/harness.js';

let collector: Collector;
let receiver: OtlpReceiver;

afterEach(async () => {
  await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
  await receiver?.stop();
});

/** A tenant id as a hostile client could send it (a header value: no newline), with a backslash and quotes to escape. */
const HOSTILE = '<img src=x onerror="alert(1)">\\"';
/** The dashboard answers only callers allowed every tenant; these tests are such a caller. */
const allowAll = () => true;

async function setUp(): Promise<Hono> {
  ({ collector, receiver } = await startPipeline({ otlp: { timeoutMillis: 1_000 } }));
  const app = new Hono();
  app.use(honoMetrics(collector));
  app.route('/', operationsRoutes(collector, { authorize: allowAll, dashboard: true }));
  app.get('/users/:id', (c) => c.text('user'));
  app.get('/boom', (c) => c.text('down', 503));
  return app;
}

describe('the dashboard routes', () => {
  it('are off by default', async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono().route('/', operationsRoutes(collector));
    expect((await app.request('/metrics/dashboard')).status).toBe(404);
    expect((await app.request('/metrics/dashboard/data')).status).toBe(404);
  });

  it('serve the page and its script (a compiled source file) under a policy that allows only that script, by hash', async () => {
    const app = await setUp();
    const response = await app.request('/metrics/dashboard');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'/);
    const html = await response.text();
    // Nothing loaded from elsewhere: one script, beside the page, whose integrity is the policy's hash.
    expect(html).not.toMatch(/<link |https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const tags = [...html.matchAll(/<script ([^>]*)>/g)].map((match) => match[1]);
    const hash = /script-src '(sha256-[^']+)'/.exec(csp)?.[1];
    expect(tags).toEqual([`type="module" src="dashboard/dashboard.js" integrity="${hash}"`]);
    const script = await app.request('/metrics/dashboard/dashboard.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const source = await script.text();
    expect(`sha256-${createHash('sha256').update(source).digest('base64')}`).toBe(hash);
    // The compiled file of src/hono/dashboard/dashboard.ts, shipped in the package; no innerHTML anywhere in it.
    expect(source).toBe(readFileSync(new URL('../dist/src/hono/dashboard/dashboard.js', import.meta.url), 'utf8'));
    expect(source).not.toContain('innerHTML');
    expect(html).not.toContain('innerHTML');
  });

  it("give every tenant, its routes and the routes over all tenants from the analytics answer, the API's figures, and are not traffic", async () => {
    const app = await setUp();
    for (let i = 0; i < 3; i++) await app.request('/users/1', { headers: { 'x-tenant-id': 'acme' } });
    for (let i = 0; i < 2; i++) await app.request('/boom', { headers: { 'x-tenant-id': 'acme' } });
    await app.request('/users/2', { headers: { 'x-tenant-id': HOSTILE } });
    for (let i = 0; i < 3; i++) await app.request('/metrics/dashboard/data');
    await app.request('/metrics/dashboard');

    const response = await app.request('/metrics/dashboard/data');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const data = (await response.json()) as DashboardData;
    expect(data.analytics_error).toBeNull();
    expect(data.at).toBeGreaterThan(Date.now() - 10_000);
    // Per tenant and per tenant × route: the analytics cells, the dashboard's own requests not among them.
    expect(
      data.tenants.map((t) => [
        t.tenant,
        t.requests,
        t.server_errors,
        t.activity_pattern,
        t.routes.map((r) => [r.method, r.route, r.requests, r.server_errors]),
      ]),
    ).toEqual([
      [HOSTILE, 1, 0, 'onboarding', [['GET', '/users/:id', 1, 0]]],
      [
        'acme',
        5,
        2,
        'onboarding',
        [
          ['GET', '/boom', 2, 2],
          ['GET', '/users/:id', 3, 0],
        ],
      ],
    ]);
    // The same figures as the analytics API: tenants from GET /metrics/tenants, routes from GET /metrics/endpoints.
    const api = (await (await app.request('/metrics/tenants')).json()) as { tenants: any[] };
    for (const t of data.tenants) {
      const listed = api.tenants.find((entry) => entry.tenant === t.tenant);
      expect([t.requests, t.server_errors, t.client_errors, t.requests_last_hour]).toEqual([
        listed.calls,
        listed.server_errors,
        listed.client_errors,
        listed.requests_last_hour,
      ]);
      expect(t.latency_seconds).toEqual({
        avg: listed.latency_seconds.avg,
        p50: listed.latency_seconds.p50,
        p95: listed.latency_seconds.p95,
        p99: listed.latency_seconds.p99,
      });
    }
    const endpoints = (await (await app.request('/metrics/endpoints')).json()) as { endpoints: any[] };
    expect(data.routes.map((r) => [r.method, r.route, r.requests, r.server_errors, r.latency_seconds])).toEqual(
      endpoints.endpoints.map((e) => [
        e.method,
        e.route,
        e.calls,
        e.server_errors,
        { avg: e.avg_response_seconds, p50: e.latency_seconds.p50, p95: e.latency_seconds.p95, p99: e.latency_seconds.p99 },
      ]),
    );
    expect(data.routes.map((r) => r.requests)).toEqual([4, 2]);
    // The pipeline: the exporters in use, and export counts from the same messages as the last export.
    expect(data.pipeline).toMatchObject({ status: 'healthy', exporters: ['otlp'], ring: { capacity: expect.any(Number) } });
    await collector.flush();
    const after = (await (await app.request('/metrics/dashboard/data')).json()) as DashboardData;
    const { exports } = after.pipeline;
    expect(exports.failed).toBe(0);
    expect(exports.ok).toBeGreaterThanOrEqual(1);
    expect(exports.last_ok).toBe(true);
    expect(after.pipeline.otlp_requests).toMatchObject({ succeeded: collector.stats().export.succeeded, failed: 0 });
    expect(JSON.stringify(data)).not.toContain(receiver.url);
  });

  it("answer 403 to a caller authorize does not allow '*', and 500 when authorize throws", async () => {
    ({ collector, receiver } = await startPipeline());
    const asked: string[] = [];
    const authorize = (c: import('hono').Context, tenant: string) => {
      asked.push(tenant);
      if (c.req.header('x-caller') === 'broken') throw new Error('boom');
      return c.req.header('x-caller') === 'operator';
    };
    const app = new Hono().route('/', operationsRoutes(collector, { authorize, dashboard: true }));
    for (const path of ['/metrics/dashboard', '/metrics/dashboard/data']) {
      const refused = await app.request(path, { headers: { 'x-caller': 'acme' } });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ error: 'not allowed to see every tenant' });
      const failed = await app.request(path, { headers: { 'x-caller': 'broken' } });
      expect(failed.status).toBe(500);
      expect(await failed.json()).toEqual({ error: 'authorize failed' });
      expect((await app.request(path, { headers: { 'x-caller': 'operator' } })).status).toBe(200);
    }
    expect(new Set(asked)).toEqual(new Set(['*']));
  });

  it('mount at the path given, the data beside it, and refuse bad options naming them', async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono().route(
      '/ops',
      operationsRoutes(collector, { authorize: allowAll, dashboard: true, paths: { dashboard: '/board' } }),
    );
    expect((await app.request('/ops/board')).status).toBe(200);
    expect((await app.request('/ops/board/data')).status).toBe(200);
    expect(() => operationsRoutes(collector, { dashboard: 'yes' as never })).toThrow(
      new TypeError('options.dashboard must be a boolean (got "yes")'),
    );
    expect(() => operationsRoutes(collector, { authorize: allowAll, dashboard: true, paths: { dashboard: 'board' } })).toThrow(RangeError);
    expect(() => operationsRoutes(collector, { authorize: allowAll, dashboard: true, paths: { dashboard: '/metrics' } })).toThrow(
      new RangeError('options.paths.dashboard repeats the path "/metrics"'),
    );
    expect(() =>
      operationsRoutes(collector, { authorize: allowAll, dashboard: true, paths: { health: '/d/data', dashboard: '/d' } }),
    ).toThrow(new RangeError(`options.paths.dashboard puts its data on "/d/data", another endpoint's path`));
    // Without the dashboard, its path is not checked against the others.
    expect(() => operationsRoutes(collector, { paths: { dashboard: '/metrics' } })).not.toThrow();
  });
});
