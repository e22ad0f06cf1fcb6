import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { Collector } from 'ringmeter';
import { LABEL_LIMITS } from 'ringmeter';
import { honoMetrics } from 'ringmeter/hono';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { labelKey, pointsNamed, startPipeline, total } from './support/harness.js';

declare module 'hono' {
  interface ContextVariableMap {
    tenant: string;
  }
}

/** http_requests_total as { labelKey: count }. */
function requestCounts(receiver: OtlpReceiver): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const point of pointsNamed(receiver.points, 'http_requests_total')) {
    const key = labelKey(point.attributes);
    counts[key] = (counts[key] ?? 0) + (point.value ?? 0);
  }
  return counts;
}

const key = (method: string, route: string, status: number, tenant: string) =>
  labelKey({ method, route, status_code: status, tenant_id: tenant });

describe('honoMetrics under app.request()', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('records method, matched route pattern, status and tenant for every kind of request', async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
    app.get('/files/*', (c) => c.text('file'));
    const orders = new Hono();
    orders.get('/:orderId/lines/:lineId', (c) => c.text('line'));
    const v1 = new Hono();
    v1.route('/orders', orders);
    app.route('/api/v1', v1);
    app.get('/boom', () => {
      throw new Error('handler failed');
    });
    app.on(['PURGE'], '/cache', (c) => c.text('purged'));
    app.all('/any', (c) => c.text('any'));
    app.onError((_error, c) => c.text('oops', 500));

    const tenant = { 'x-tenant-id': 'acme' };
    const responses = await Promise.all([
      app.request('/users/1', { headers: tenant }),
      app.request('/users/2', { headers: tenant }),
      app.request('/files/a/b.txt', { headers: tenant }),
      app.request('/api/v1/orders/9/lines/3', { headers: tenant }),
      app.request('/does/not/exist', { headers: tenant }),
      app.request('/boom', { headers: tenant }),
      app.request('/users/3', { method: 'HEAD', headers: tenant }),
      app.request('/any', { method: 'OPTIONS', headers: tenant }),
      app.request('/cache', { method: 'PURGE', headers: tenant }),
      app.request('/users/4'),
      app.request('/users/5', { headers: { 'x-tenant-id': '' } }),
      app.request('/users/6', { headers: { 'x-tenant-id': 'x'.repeat(LABEL_LIMITS.tenantId + 1) } }),
      app.request('/users/7', { headers: { 'x-tenant-id': 'tab\there' } }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 404, 500, 200, 200, 200, 200, 200, 200, 200]);
    await collector.flush();
    expect(requestCounts(receiver)).toEqual({
      [key('GET', '/users/:id', 200, 'acme')]: 2,
      [key('GET', '/files/*', 200, 'acme')]: 1,
      [key('GET', '/api/v1/orders/:orderId/lines/:lineId', 200, 'acme')]: 1,
      [key('GET', 'unmatched', 404, 'acme')]: 1,
      [key('GET', '/boom', 500, 'acme')]: 1,
      [key('HEAD', '/users/:id', 200, 'acme')]: 1,
      [key('OPTIONS', '/any', 200, 'acme')]: 1,
      [key('_OTHER', '/cache', 200, 'acme')]: 1,
      [key('GET', '/users/:id', 200, 'unknown')]: 2,
      [key('GET', '/users/:id', 200, 'invalid')]: 2,
    });
    const durations = pointsNamed(receiver.points, 'http_request_duration_seconds');
    expect(durations.reduce((sum, p) => sum + (p.count ?? 0), 0)).toBe(13);
    for (const point of durations) expect(point.min).toBeGreaterThan(0);
  });

  it('records a request whose error escapes every handler as 500, and rethrows it', async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.use(async (_c, next) => {
      await next();
      throw new Error('after-response failure');
    });
    app.get('/x', (c) => c.text('x'));
    app.onError((error) => {
      throw error;
    });
    await expect(app.request('/x')).rejects.toThrow('after-response failure');
    await collector.flush();
    expect(requestCounts(receiver)).toEqual({ [key('GET', '/x', 500, 'unknown')]: 1 });
  });

  it('reads the tenant with a custom resolver after the handler ran, and never lets the resolver break a request', async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono();
    app.use(honoMetrics(collector, { tenant: (c) => c.get('tenant') }));
    app.use(async (c, next) => {
      // An auth middleware registered after ours decides the tenant.
      c.set('tenant', c.req.header('authorization') === 'Bearer s3cr3t-token' ? 'initech' : 'anonymous');
      await next();
    });
    app.get('/me', (c) => c.text(c.get('tenant')));
    const throwing = new Hono();
    throwing.use(
      honoMetrics(collector, {
        tenant: () => {
          throw new Error('resolver bug');
        },
      }),
    );
    throwing.get('/me', (c) => c.text('ok'));

    expect(await (await app.request('/me', { headers: { authorization: 'Bearer s3cr3t-token', cookie: 'session=abc123' } })).text()).toBe(
      'initech',
    );
    expect(await (await app.request('/me')).text()).toBe('anonymous');
    const response = await throwing.request('/me');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    await collector.flush();
    expect(requestCounts(receiver)).toEqual({
      [key('GET', '/me', 200, 'initech')]: 1,
      [key('GET', '/me', 200, 'anonymous')]: 1,
      [key('GET', '/me', 200, 'invalid')]: 1,
    });
    // The throwing resolver is the application's mistake, counted as such, never as a failure of ringmeter's hook.
    expect(collector.stats().rejectedBy).toEqual({ 'honoMetrics.tenant': 1 });
    expect(collector.stats().hookFailures).toEqual({});
    // No header other than the tenant source is read: secrets never show up in anything exported.
    const exported = JSON.stringify(receiver.requests.map((request) => [request.resource, request.points.map((p) => p.attributes)]));
    expect(exported).not.toContain('s3cr3t-token');
    expect(exported).not.toContain('abc123');
  });

  it('puts routes into endpoint categories: the user rules first, then the built-in ones', async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono();
    app.use(
      honoMetrics(collector, {
        categories: [
          { match: /^\/api\/billing/, category: 'billing' },
          { match: '/internal', category: 'admin' },
        ],
      }),
    );
    for (const path of [
      '/api/billing/invoices',
      '/api/users',
      '/auth/login',
      '/internal/jobs',
      '/healthz',
      '/metrics',
      '/admin/users',
      '/dashboard',
      '/assets/app.js',
      '/about',
    ]) {
      app.get(path, (c) => c.text('ok'));
    }
    for (const path of [
      '/api/billing/invoices',
      '/api/users',
      '/api/users',
      '/auth/login',
      '/internal/jobs',
      '/healthz',
      '/metrics',
      '/admin/users',
      '/dashboard',
      '/assets/app.js',
      '/about',
    ]) {
      await app.request(path, { headers: { 'x-tenant-id': 'acme' } });
    }
    await collector.flush();
    const calls = Object.fromEntries(
      pointsNamed(receiver.points, 'tenant_api_calls_total').map((p) => [p.attributes.endpoint_category, p.value]),
    );
    expect(calls).toEqual({ billing: 1, api: 2, auth: 1, admin: 2, health: 1, metrics: 1, dashboard: 1, static: 1, other: 1 });
  });

  it('keeps 1,000 tenants of 20,000 and counts the rest under __overflow__, totals exact', async () => {
    ({ collector, receiver } = await startPipeline({ maxTenants: 1_000 }));
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.get('/t', (c) => c.text('ok'));
    for (let i = 0; i < 20_000; i++) {
      const response = await app.request('/t', { headers: { 'x-tenant-id': `tenant-${i}` } });
      await response.arrayBuffer();
      if (i < 1_000) await app.request('/t', { headers: { 'x-tenant-id': `tenant-${i}` } });
    }
    await collector.flush();
    const points = pointsNamed(receiver.points, 'http_requests_total');
    const byTenant = new Map(points.map((p) => [p.attributes.tenant_id, p]));
    expect(points).toHaveLength(1_001);
    for (let i = 0; i < 1_000; i++) expect(byTenant.get(`tenant-${i}`)?.value).toBe(2);
    expect(byTenant.get('__overflow__')?.value).toBe(19_000);
    expect(byTenant.get('__overflow__')?.attributes['otel.metric.overflow']).toBe(true);
    expect(total(receiver.points, 'http_requests_total')).toBe(21_000);
    expect(total(receiver.points, 'tenant_api_calls_total')).toBe(21_000);
    expect(pointsNamed(receiver.points, 'tenant_error_rate')).toHaveLength(1_001);
  });

  it('passes requests through untouched when HTTP metrics are disabled', async () => {
    ({ collector, receiver } = await startPipeline({ metrics: { http: false } }));
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.get('/x', (c) => c.text('x'));
    expect(await (await app.request('/x')).text()).toBe('x');
    await collector.flush();
    expect(pointsNamed(receiver.points, 'http_requests_total')).toEqual([]);
    expect(collector.stats().ring.written).toBe(0);
  });
});

describe('honoMetrics options', () => {
  // Validation happens before anything is recorded: one collector serves every case.
  let pipeline: Awaited<ReturnType<typeof startPipeline>>;
  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(async () => {
    await pipeline.collector.shutdown();
    await pipeline.receiver.stop();
  });
  it.each([
    [null, TypeError, 'honoMetrics options must be an object'],
    [{ tenant: 'x-tenant' }, TypeError, 'options.tenant must be a function (c) => string | undefined'],
    [{ categories: {} }, TypeError, 'options.categories must be an array of { match, category } rules'],
    [{ categories: [42] }, TypeError, 'options.categories[0] must be a { match, category } object'],
    [{ categories: [{ match: 7, category: 'a' }] }, TypeError, 'options.categories[0].match must be a RegExp or a path prefix string'],
    [
      { categories: [{ match: '/a', category: 'has space' }] },
      RangeError,
      "options.categories[0].category must be 1 to 64 letters, digits, '_', '.' or '-'",
    ],
  ])('%j', (options, type, message) => {
    expect(() => honoMetrics(pipeline.collector, options as never)).toThrow(type);
    expect(() => honoMetrics(pipeline.collector, options as never)).toThrow(message);
  });
});
