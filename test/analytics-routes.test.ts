import { Hono, type Context } from 'hono';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { honoMetrics, operationsRoutes } from 'ringmeter/hono';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL, uniqueSchemaName } from './support/database.js';
import { startPipeline } from './support/harness.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { type LocalServer, serveLocally } from './support/node-server.js';

/**
 * The analytics API against real traffic: requests through honoMetrics on @hono/node-server (which measures
 * response sizes), queries through an instrumented
 * postgres.js client on the test server (attributed to the request's tenant), and one tenant recorded with
 * known durations for the percentiles.
 */

/** Who the caller is, by header: an admin sees every tenant, an `acme` caller sees acme only. */
function authorize(c: Context, tenant: string): boolean | Promise<boolean> {
  const caller = c.req.header('x-caller');
  if (caller === 'admin') return true;
  if (caller === 'acme') return tenant === 'acme';
  if (caller === 'acme-async') return Promise.resolve(tenant === 'acme');
  if (caller === 'broken') throw new Error('secret token expired at /etc/tokens');
  return false;
}

/** 1,000 long-tailed durations (Pareto-like, from a fixed seed) and the sample at each rank the sketch reads. */
function longTailedSeconds(n: number): number[] {
  let seed = 12_345;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (seed + 1) / 2_147_483_649;
  };
  return Array.from({ length: n }, () => 0.002 / next() ** 0.7);
}

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

function within1Percent(actual: number, expected: number): void {
  expect(Math.abs(actual - expected) / expected, `${actual} vs ${expected}`).toBeLessThanOrEqual(0.01);
}

describe('the analytics API on real traffic', () => {
  const schema = uniqueSchemaName();
  const setup = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  let sql: postgres.Sql;
  let collector: Collector;
  let receiver: OtlpReceiver;
  let server: LocalServer;
  let base: string;
  const timed = longTailedSeconds(1_000);

  const get = async (path: string, caller?: string) => {
    const response = await fetch(`${base}${path}`, { headers: caller === undefined ? {} : { 'x-caller': caller } });
    return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as any };
  };

  beforeAll(async () => {
    await setup.unsafe(`create schema "${schema}"`);
    await setup.unsafe(`create table "${schema}".ledger (id serial primary key, tenant text not null)`);
    await setup.unsafe(`insert into "${schema}".ledger (tenant) values ('seed')`);
    // A query counts as slow past 400 ms: the one pg_sleep(0.5) is, the plain ones are far below it.
    ({ collector, receiver } = await startPipeline({ slowQueryMillis: 400 }));
    sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 4, onnotice: () => {} }), { database: 'shop' });
    const ledger = `"${schema}".ledger`;
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.route('/', operationsRoutes(collector, { authorize }));
    app.get('/users/:id', async (c) => {
      await sql.unsafe(`select id from ${ledger} where tenant = $1`, [c.req.header('x-tenant-id') ?? '']);
      return c.text('user');
    });
    app.get('/fail', (c) => c.text('boom', 500));
    app.get('/items/:id', (c) => c.text('none', 404));
    app.post('/orders', async (c) => {
      await sql.unsafe(`insert into ${ledger} (tenant) values ($1)`, [c.req.header('x-tenant-id') ?? '']);
      return c.text('order', 201);
    });
    app.get('/report', async (c) => {
      await sql.unsafe(`select pg_sleep(0.5) from ${ledger} limit 1`);
      return c.text('report');
    });

    server = await serveLocally(app);
    base = server.base;
    const as = async (tenant: string, path: string, init: RequestInit = {}) => {
      const response = await fetch(`${base}${path}`, { ...init, headers: { 'x-tenant-id': tenant } });
      await response.arrayBuffer();
    };
    for (let i = 0; i < 3; i++) await as('acme', `/users/${i}`);
    await as('acme', '/fail');
    await as('acme', '/items/7');
    for (let i = 0; i < 2; i++) await as('globex', '/orders', { method: 'POST', body: '0123456789' });
    await as('globex', '/report');
    for (const seconds of timed) {
      collector.recordHttp({ method: 'GET', route: '/timed', statusCode: 200, tenantId: 'initech', durationSeconds: seconds });
    }
    await collector.flush();
  });

  afterAll(async () => {
    await server?.close();
    await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
    await receiver?.stop();
    await sql?.end();
    await setup.unsafe(`drop schema if exists "${schema}" cascade`);
    await setup.end();
  });

  it('GET /metrics/tenants lists every tenant with exact counts for a caller allowed all', async () => {
    const { status, body } = await get('/metrics/tenants', 'admin');
    expect(status).toBe(200);
    expect(body.tenants.map((t: any) => t.tenant)).toEqual(['acme', 'globex', 'initech']);
    const [acme, globex, initech] = body.tenants;
    expect(acme).toMatchObject({
      tenant: 'acme',
      calls: 5,
      server_errors: 1,
      client_errors: 1,
      error_rate: 0.2,
      requests_last_hour: 5,
      // 'user' × 3, 'boom', 'none': 4 bytes each.
      bytes_processed: { request: 0, response: 20, total: 20, by_data_type: { request: 0, response: 20 } },
      activity_pattern: 'onboarding',
      anomalies: [],
    });
    expect(globex).toMatchObject({
      calls: 3,
      error_rate: 0,
      bytes_processed: { request: 20, response: 16, total: 36 },
    });
    expect(initech).toMatchObject({ calls: 1_000, error_rate: 0, requests_last_hour: 1_000 });
    expect(Date.parse(acme.first_seen)).toBeLessThanOrEqual(Date.parse(acme.last_seen));
    expect(Date.parse(acme.last_seen)).toBeGreaterThan(Date.now() - 120_000);
    // The slow request's own latency is in globex's figures: at least the 0.5 s it slept.
    expect(globex.latency_seconds.max).toBeGreaterThanOrEqual(0.5);
  });

  it('percentiles of a tenant and of a route are within 1 % of the exact values of the durations sent', async () => {
    const { body } = await get('/metrics/tenants/initech', 'admin');
    for (const [q, name] of [
      [0.5, 'p50'],
      [0.95, 'p95'],
      [0.99, 'p99'],
    ] as const) {
      within1Percent(body.latency_seconds[name], exactQuantile(timed, q));
    }
    const sum = timed.reduce((a, b) => a + b, 0);
    expect(body.latency_seconds.avg).toBeCloseTo(sum / timed.length, 9);
    expect(body.latency_seconds.max).toBe(Math.max(...timed));

    const endpoints = await get('/metrics/endpoints', 'admin');
    const route = endpoints.body.endpoints.find((e: any) => e.route === '/timed');
    within1Percent(route.latency_seconds.p95, exactQuantile(timed, 0.95));
    within1Percent(route.latency_seconds.p99, exactQuantile(timed, 0.99));
  });

  it('GET /metrics/tenants/:id gives top endpoints and the tenant database figures; collector.tenant() the same', async () => {
    const { status, body } = await get('/metrics/tenants/acme', 'admin');
    expect(status).toBe(200);
    expect(body.top_endpoints.map((e: any) => [e.method, e.route, e.calls, e.error_rate, e.requests_last_hour])).toEqual([
      ['GET', '/users/:id', 3, 0, 3],
      ['GET', '/fail', 1, 1, 1],
      ['GET', '/items/:id', 1, 0, 1],
    ]);
    expect(body.database).toMatchObject({ queries: 3, errors: 0, slow_queries: 0 });
    expect(body.database.top_tables).toMatchObject([{ table: 'ledger', query_type: 'SELECT', queries: 3, errors: 0, slow_queries: 0 }]);

    const globex = await get('/metrics/tenants/globex', 'admin');
    expect(globex.body.database).toMatchObject({ queries: 3, errors: 0, slow_queries: 1 });
    expect(globex.body.database.top_tables.map((t: any) => [t.table, t.query_type, t.queries, t.slow_queries])).toEqual([
      ['ledger', 'INSERT', 2, 0],
      ['ledger', 'SELECT', 1, 1],
    ]);

    // The same figures for the application's own code (a later read: last_seen and the hour may only agree).
    const report = await collector.tenant('acme');
    expect(JSON.parse(JSON.stringify(report))).toEqual(body);
    await expect(collector.tenant('nobody')).resolves.toBeUndefined();
    await expect(collector.tenant(42 as never)).rejects.toThrow(new TypeError('tenant(tenantId) must be given a string (got 42)'));
    await expect(collector.tenant('acme', 0)).rejects.toThrow(
      new RangeError('tenant() timeoutMillis must be an integer from 1 to 3600000 (got 0)'),
    );
  });

  it('GET /metrics/endpoints: per route and method, with top tenants', async () => {
    const { status, body } = await get('/metrics/endpoints', 'admin');
    expect(status).toBe(200);
    const rows = body.endpoints.map((e: any) => [e.method, e.route, e.calls, e.error_rate, e.requests_per_hour, e.top_tenants]);
    expect(rows).toEqual([
      ['GET', '/timed', 1_000, 0, 1_000, [{ tenant: 'initech', calls: 1_000, error_rate: 0 }]],
      ['GET', '/users/:id', 3, 0, 3, [{ tenant: 'acme', calls: 3, error_rate: 0 }]],
      ['POST', '/orders', 2, 0, 2, [{ tenant: 'globex', calls: 2, error_rate: 0 }]],
      ['GET', '/fail', 1, 1, 1, [{ tenant: 'acme', calls: 1, error_rate: 1 }]],
      ['GET', '/items/:id', 1, 0, 1, [{ tenant: 'acme', calls: 1, error_rate: 0 }]],
      ['GET', '/report', 1, 0, 1, [{ tenant: 'globex', calls: 1, error_rate: 0 }]],
    ]);
    const orders = body.endpoints.find((e: any) => e.route === '/orders');
    expect(orders.data_transferred_bytes).toEqual({ request: 20, response: 10 });
    expect(orders.client_errors).toBe(0);
    const items = body.endpoints.find((e: any) => e.route === '/items/:id');
    expect(items.client_errors).toBe(1);
    const sum = timed.reduce((a, b) => a + b, 0);
    expect(body.endpoints[0].avg_response_seconds).toBeCloseTo(sum / timed.length, 9);
  });

  it('GET /metrics/database: queries, slow queries against slowQueryMillis, the pool, top tables and tenants', async () => {
    const { status, body } = await get('/metrics/database', 'admin');
    expect(status).toBe(200);
    expect(body).toMatchObject({ queries: 6, errors: 0, slow_query_threshold_seconds: 0.4, slow_queries: 1 });
    expect(body.top_tables).toMatchObject([{ table: 'ledger', queries: 6, slow_queries: 1, by_query_type: { SELECT: 4, INSERT: 2 } }]);
    expect(body.top_tenants.map((t: any) => [t.tenant, t.queries, t.slow_queries])).toEqual([
      ['globex', 3, 1],
      ['acme', 3, 0],
    ]);
    expect(body.connections.max).toBe(4);
    expect(body.connections.active).toBeGreaterThanOrEqual(1);
    expect(body.connections.pool_utilisation).toBe(body.connections.active / 4);
    expect(body.latency_seconds.max).toBeGreaterThanOrEqual(0.5);
    expect(body.avg_query_seconds).toBeGreaterThan(0.5 / 6);
  });

  it('a caller allowed for acme only sees acme alone, everywhere, and 403 for another tenant', async () => {
    for (const caller of ['acme', 'acme-async']) {
      // With the per-tenant authorize, a list holds the tenants the request names, of those the caller may see.
      const names = '?tenant=acme&tenant=globex&tenant=initech';
      const list = await get(`/metrics/tenants${names}`, caller);
      expect(list.status).toBe(200);
      expect(list.body.tenants.map((t: any) => t.tenant)).toEqual(['acme']);

      expect((await get('/metrics/tenants/acme', caller)).status).toBe(200);
      for (const other of ['globex', 'initech', 'nobody', '*']) {
        const refused = await get(`/metrics/tenants/${encodeURIComponent(other)}`, caller);
        expect(refused).toEqual({ status: 403, type: 'application/json', body: { error: 'not allowed to see this tenant' } });
      }

      const endpoints = await get(`/metrics/endpoints${names}`, caller);
      expect(endpoints.body.endpoints.map((e: any) => [e.method, e.route, e.calls])).toEqual([
        ['GET', '/users/:id', 3],
        ['GET', '/fail', 1],
        ['GET', '/items/:id', 1],
      ]);
      // Route percentiles span every tenant: withheld.
      for (const endpoint of endpoints.body.endpoints) expect(endpoint.latency_seconds).toBeNull();

      const database = await get(`/metrics/database${names}`, caller);
      expect(database.body).toMatchObject({ queries: 3, slow_queries: 0, connections: null, latency_seconds: null });
      expect(database.body.top_tenants.map((t: any) => t.tenant)).toEqual(['acme']);
      expect(database.body.top_tables).toMatchObject([{ table: 'ledger', queries: 3, by_query_type: { SELECT: 3 } }]);

      // No other tenant's name anywhere in any body.
      for (const body of [list.body, endpoints.body, database.body]) {
        const text = JSON.stringify(body);
        expect(text).not.toContain('globex');
        expect(text).not.toContain('initech');
      }
    }
  });

  it('a caller allowed nothing gets empty lists and 403; an unknown tenant is 404 for a caller who may see it', async () => {
    expect((await get('/metrics/tenants?tenant=acme')).body.tenants).toEqual([]);
    expect((await get('/metrics/endpoints?tenant=acme')).body.endpoints).toEqual([]);
    expect((await get('/metrics/database?tenant=acme')).body).toMatchObject({
      queries: 0,
      top_tables: [],
      top_tenants: [],
      connections: null,
    });
    // Unnamed, a list cannot be built from the per-tenant authorize without asking about every tenant: 403.
    for (const path of ['/metrics/tenants', '/metrics/endpoints', '/metrics/database']) {
      for (const caller of [undefined, 'acme']) {
        expect(await get(path, caller)).toEqual({
          status: 403,
          type: 'application/json',
          body: { error: 'not allowed to see every tenant: name the tenants to list with ?tenant=<id> (at most 20)' },
        });
      }
    }
    expect((await get('/metrics/tenants/acme')).status).toBe(403);
    expect(await get('/metrics/tenants/nobody', 'admin')).toEqual({
      status: 404,
      type: 'application/json',
      body: { error: 'no such tenant' },
    });
  });

  it('a throwing authorize answers 500 with a JSON error and nothing of its message or stack', async () => {
    for (const path of [
      '/metrics/tenants',
      '/metrics/tenants/acme',
      '/metrics/endpoints',
      '/metrics/database',
      '/metrics/tenants?tenant=acme',
    ]) {
      expect(await get(path, 'broken')).toEqual({ status: 500, type: 'application/json', body: { error: 'authorize failed' } });
    }
  });

  it('the analytics requests are not traffic', async () => {
    await collector.flush();
    const { body } = await get('/metrics/endpoints', 'admin');
    expect(body.endpoints.filter((e: any) => e.route.startsWith('/metrics'))).toEqual([]);
    expect((await get('/metrics/tenants/acme', 'admin')).body.calls).toBe(5);
  });
});

describe('the analytics routes without authorize', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterAll(async () => {
    await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
    await receiver?.stop();
  });

  it('are not mounted, and a bad authorize is refused naming it', async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono();
    app.route('/', operationsRoutes(collector));
    for (const path of ['/metrics/tenants', '/metrics/tenants/acme', '/metrics/endpoints', '/metrics/database']) {
      expect((await app.request(path)).status).toBe(404);
    }
    expect(() => operationsRoutes(collector, { authorize: 'yes' as never })).toThrow(
      new TypeError('options.authorize must be a function (c, tenantId) => boolean | Promise<boolean> (got "yes")'),
    );
    expect(() => operationsRoutes(collector, { dashboard: true })).toThrow(
      new TypeError(
        "options.dashboard needs options.authorize or options.authorizeTenants: the page lists every tenant, so it answers only callers allowed '*'",
      ),
    );
  });
});

describe('the analytics routes on many tenants and endpoints', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterAll(async () => {
    await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
    await receiver?.stop();
  });

  it('cap top-N lists at 10, most first, and find a tenant whose id needs encoding in the path', async () => {
    ({ collector, receiver } = await startPipeline());
    const record = (tenantId: string, route: string, times: number) => {
      for (let i = 0; i < times; i++) collector.recordHttp({ method: 'GET', route, statusCode: 200, tenantId, durationSeconds: 0.01 });
    };
    // Twelve tenants on one route, tenant i with i + 1 calls; one tenant on twelve routes, route i with i + 1 calls.
    for (let i = 0; i < 12; i++) record(`t${String(i).padStart(2, '0')}`, '/shared', i + 1);
    for (let i = 0; i < 12; i++) record('team/a b', `/r${String(i).padStart(2, '0')}`, i + 1);
    const app = new Hono().route('/', operationsRoutes(collector, { authorize: () => true }));

    const endpoints = (await (await app.request('/metrics/endpoints')).json()) as any;
    const shared = endpoints.endpoints.find((e: any) => e.route === '/shared');
    expect(shared.calls).toBe(78);
    expect(shared.top_tenants.map((t: any) => [t.tenant, t.calls])).toEqual(
      Array.from({ length: 10 }, (_, k) => [`t${String(11 - k).padStart(2, '0')}`, 12 - k]),
    );

    const response = await app.request(`/metrics/tenants/${encodeURIComponent('team/a b')}`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as any;
    expect(report.tenant).toBe('team/a b');
    expect(report.calls).toBe(78);
    expect(report.top_endpoints.map((e: any) => [e.route, e.calls])).toEqual(
      Array.from({ length: 10 }, (_, k) => [`/r${String(11 - k).padStart(2, '0')}`, 12 - k]),
    );
  });
});
