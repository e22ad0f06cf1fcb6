import { afterEach, describe, expect, it } from 'vitest';
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

  it('serve one self-contained page under a policy that allows only its own inline script and style', async () => {
    const app = await setUp();
    const response = await app.request('/metrics/dashboard');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'/);
    const html = await response.text();
    // No external resource: nothing loaded from elsewhere, no innerHTML anywhere in the script.
    expect(html).not.toMatch(/<script src|<link |https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).not.toContain('innerHTML');
  });

  it('give per tenant and route the cumulative totals and histogram, joined over status codes, and are not traffic', async () => {
    const app = await setUp();
    for (let i = 0; i < 3; i++) await app.request('/users/1', { headers: { 'x-tenant-id': 'acme' } });
    for (let i = 0; i < 2; i++) await app.request('/boom', { headers: { 'x-tenant-id': 'acme' } });
    await app.request('/users/2', { headers: { 'x-tenant-id': HOSTILE } });
    for (let i = 0; i < 3; i++) await app.request('/metrics/dashboard/data');
    await app.request('/metrics/dashboard');

    const response = await app.request('/metrics/dashboard/data');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const data = (await response.json()) as { at: number; series: any[]; metrics_error: string | null; pipeline: any };
    expect(data.metrics_error).toBeNull();
    expect(data.at).toBeGreaterThan(Date.now() - 10_000);
    expect(
      data.series.map(({ tenant, method, route, requests, serverErrors }) => ({ tenant, method, route, requests, serverErrors })),
    ).toEqual([
      { tenant: HOSTILE, method: 'GET', route: '/users/:id', requests: 1, serverErrors: 0 },
      { tenant: 'acme', method: 'GET', route: '/boom', requests: 2, serverErrors: 2 },
      { tenant: 'acme', method: 'GET', route: '/users/:id', requests: 3, serverErrors: 0 },
    ]);
    for (const s of data.series) {
      expect(s.cumulative).toHaveLength(s.bounds.length + 1);
      expect(s.cumulative.at(-1)).toBe(s.requests);
      expect([...s.cumulative].sort((a: number, b: number) => a - b)).toEqual(s.cumulative);
      expect(s.sumSeconds).toBeGreaterThan(0);
    }
    expect(data.pipeline).toMatchObject({ status: 'healthy', ring: { capacity: expect.any(Number) }, export: { failed: 0 } });
    // The analytics summaries the page shows the pattern and the sketch percentiles from: the dashboard's own
    // requests are not among the calls.
    const tenants = (data as unknown as { tenants: any[] }).tenants;
    expect(tenants.map((t) => [t.tenant, t.calls, t.server_errors, t.activity_pattern])).toEqual([
      [HOSTILE, 1, 0, 'onboarding'],
      ['acme', 5, 2, 'onboarding'],
    ]);
    expect(tenants[1].latency_seconds.p99).toBeGreaterThan(0);
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
