import { AsyncLocalStorage } from 'node:async_hooks';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/pglite';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { drizzleLogger } from 'ringmeter/drizzle';
import { honoMetrics, operationsRoutes } from 'ringmeter/hono';
import { instrumentPglite } from 'ringmeter/pglite';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { startPipeline, total, valuesByLabels, waitFor } from './support/harness.js';
import { serveLocally } from './support/node-server.js';
import { freshPglite } from './support/pglite.js';

/** What each `x-user` header stands for: the user object an auth middleware puts on the context. */
const USERS: Record<string, { orgId: unknown }> = {
  acme: { orgId: 'acme' },
  globex: { orgId: 'globex' },
  numeric: { orgId: 42 },
  object: { orgId: { id: 7 } },
  empty: { orgId: '' },
  throwing: {
    get orgId(): unknown {
      throw new Error('no organisation');
    },
  },
  anonymous: { orgId: undefined },
  'reserved:unknown': { orgId: 'unknown' },
  'reserved:invalid': { orgId: 'invalid' },
  'reserved:__overflow__': { orgId: '__overflow__' },
  'reserved:system': { orgId: 'system' },
};

/** Requests per `x-user`, in this order; `/metrics` scrapes (anonymous, as Prometheus makes them) in between. */
const PLAN: [string, number][] = [
  ['acme', 20],
  ['numeric', 3],
  ['/metrics', 1],
  ['globex', 10],
  ['object', 2],
  ['empty', 1],
  ['throwing', 2],
  ['anonymous', 4],
  ['reserved:unknown', 1],
  ['reserved:invalid', 1],
  ['reserved:__overflow__', 1],
  ['reserved:system', 1],
  ['/metrics', 1],
  ['acme', 5],
];
const REQUESTS = PLAN.filter(([user]) => user !== '/metrics').reduce((sum, [, count]) => sum + count, 0);

/** Records written by the collector's hooks so far (to the rings and their overflow). */
function recorded(collector: Collector): number {
  const { written, spilled, dropped } = collector.stats().ring;
  return written + spilled + dropped;
}

describe.each([1, 2])('tenant ids that are no tenant id, %i worker(s)', (workers) => {
  it('a Hono resolver giving a number, an object, "", a reserved name or throwing: `invalid`, counted; no worker dies', async () => {
    const { collector, receiver } = await startPipeline({ workers });
    const app = new Hono<{ Variables: { user: { orgId: unknown } } }>();
    app.use(honoMetrics(collector, { tenant: (c) => c.get('user').orgId as string }));
    app.route('/', operationsRoutes(collector));
    app.use('/api/*', async (c, next) => {
      c.set('user', USERS[c.req.header('x-user') ?? 'anonymous']);
      await next();
    });
    app.get('/api/items', (c) => c.text('ok'));
    const server = await serveLocally(app);
    try {
      for (const [user, count] of PLAN) {
        for (let i = 0; i < count; i++) {
          if (user === '/metrics') {
            const scrape = await fetch(`${server.base}/metrics`);
            expect(scrape.status).toBe(200);
            await scrape.text();
            continue;
          }
          const response = await fetch(`${server.base}/api/items`, { headers: { 'x-user': user } });
          expect(response.status).toBe(200);
          expect(await response.text()).toBe('ok');
        }
      }
      // A request is recorded once its response has finished on the server's side, just after the client has it.
      await waitFor(() => recorded(collector) === REQUESTS, 10_000, `${REQUESTS} records`);
      await collector.flush();

      const series = 'method=GET,route=/api/items,status_code=200';
      expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual({
        [`${series},tenant_id=acme`]: 25,
        [`${series},tenant_id=globex`]: 10,
        // 3 numbers, 2 objects, 1 empty string, 2 throwing getters, 4 reserved names.
        [`${series},tenant_id=invalid`]: 12,
        [`${series},tenant_id=unknown`]: 4,
      });
      expect(collector.stats().rejectedBy).toEqual({ 'honoMetrics.tenant': 8, 'honoMetrics.tenant.reserved': 4 });
      expect(collector.stats().rejected).toBe(0);
      expect(collector.stats().hookFailures).toEqual({});
      expect(collector.stats().workers).toEqual({ count: workers, running: workers, restarts: 0, lostRecords: 0, possiblyDelivered: 0 });
      expect(total(receiver.points, 'ringmeter.records.dropped', { reason: 'undecodable' })).toBe(0);

      // The scrape after all this still answers, every tenant's series in it.
      const text = await (await fetch(`${server.base}/metrics`)).text();
      const requestLines = text.split('\n').filter((line) => line.startsWith('http_requests_total{'));
      const byTenant = Object.fromEntries(
        requestLines.map((line) => [/tenant_id="([^"]*)"/.exec(line)?.[1], Number(line.slice(line.lastIndexOf(' ') + 1))]),
      );
      expect(byTenant).toEqual({ acme: 25, globex: 10, invalid: 12, unknown: 4 });
    } finally {
      await server.close();
      await collector.shutdown();
      await receiver.stop();
    }
  });
});

describe('reserved tenant names', () => {
  it('in the x-tenant-id header are `invalid`, counted as reserved; no header or an empty one stays `unknown`', async () => {
    const { collector, receiver } = await startPipeline();
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.get('/items', (c) => c.text('ok'));
    const server = await serveLocally(app);
    try {
      const headers: (Record<string, string> | undefined)[] = [
        { 'x-tenant-id': 'acme' },
        { 'x-tenant-id': 'unknown' },
        { 'x-tenant-id': 'invalid' },
        { 'x-tenant-id': '__overflow__' },
        { 'x-tenant-id': 'system' },
        // Case matters, as it does for label values: these are ordinary tenants.
        { 'x-tenant-id': 'System' },
        { 'x-tenant-id': '__OVERFLOW__' },
        { 'x-tenant-id': '' },
        undefined,
        undefined,
      ];
      for (const header of headers) expect((await fetch(`${server.base}/items`, { headers: header })).status).toBe(200);
      await waitFor(() => recorded(collector) === headers.length, 10_000, `${headers.length} records`);
      await collector.flush();
      const series = 'method=GET,route=/items,status_code=200';
      expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual({
        [`${series},tenant_id=acme`]: 1,
        [`${series},tenant_id=System`]: 1,
        [`${series},tenant_id=__OVERFLOW__`]: 1,
        [`${series},tenant_id=invalid`]: 4,
        // Anonymous traffic (no header, an empty one) keeps the label dashboards and alerts rely on.
        [`${series},tenant_id=unknown`]: 3,
      });
      expect(collector.stats().rejectedBy).toEqual({ 'honoMetrics.tenant.reserved': 4 });
    } finally {
      await server.close();
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('through the record API: every call records `invalid`, counted by call; missing ids stay `unknown`', async () => {
    const { collector, receiver } = await startPipeline({ workers: 2 });
    try {
      const hostile: unknown[] = [
        42,
        { id: 7 },
        '',
        'x'.repeat(129),
        'nul\u0000',
        'unknown',
        'invalid',
        '__overflow__',
        'system',
        ['acme'],
      ];
      const ids = [...hostile, 'acme', undefined, null];
      for (const tenantId of ids) {
        collector.recordHttp({ method: 'GET', route: '/r', statusCode: 200, tenantId: tenantId as string, durationSeconds: 0.01 });
        collector.recordQuery({ sql: 'select 1 from t', tenantId: tenantId as string, durationSeconds: 0.01 });
        collector.recordTransaction({ status: 'commit', tenantId: tenantId as string });
        collector.recordTenantResource({ tenantId: tenantId as string, resourceType: 'storage', usage: 1 });
      }
      await collector.flush();
      // 6 that are no usable string, 4 reserved names; per call.
      const expected = { invalid: hostile.length, acme: 1, unknown: 2 };
      for (const metric of ['http_requests_total', 'db_queries_total', 'db_transactions_total', 'tenant_resource_usage_total']) {
        const byTenant: Record<string, number> = {};
        for (const [labels, value] of Object.entries(valuesByLabels(receiver.points, metric))) {
          const tenant = /tenant_id=([^,]*)/.exec(labels)?.[1] as string;
          byTenant[tenant] = (byTenant[tenant] ?? 0) + value;
        }
        expect(byTenant, metric).toEqual(expected);
      }
      const counted: Record<string, number> = {};
      for (const call of ['recordHttp', 'recordQuery', 'recordTransaction', 'recordTenantResource']) {
        counted[`${call}.tenantId`] = 6;
        counted[`${call}.tenantId.reserved`] = 4;
      }
      expect(collector.stats().rejectedBy).toEqual(counted);
      expect(collector.stats().rejected).toBe(0);
      expect(collector.stats().ring.written).toBe(4 * ids.length);
      expect(collector.stats().workers).toEqual({ count: 2, running: 2, restarts: 0, lostRecords: 0, possiblyDelivered: 0 });
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });
});

describe('database hooks with a tenant resolver that gives no tenant id', () => {
  /** What the application's request context holds for each query, and the tenant label it must end up with. */
  const CONTEXTS: [unknown, string][] = [
    ['acme', 'acme'],
    [42, 'invalid'],
    [{ id: 7 }, 'invalid'],
    ['', 'invalid'],
    ['system', 'invalid'],
    ['unknown', 'invalid'],
    [undefined, 'system'],
  ];
  const THROWS = Symbol('throws');

  function resolverOver(context: AsyncLocalStorage<{ tenant: unknown }>): () => string | undefined {
    return () => {
      const tenant = context.getStore()?.tenant;
      if (tenant === THROWS) throw new Error('no request context');
      return tenant as string | undefined;
    };
  }

  async function forEachContext(context: AsyncLocalStorage<{ tenant: unknown }>, run: () => Promise<unknown>): Promise<void> {
    for (const [tenant] of CONTEXTS) await context.run({ tenant }, run);
    await context.run({ tenant: THROWS }, run);
  }

  /** The tenants of CONTEXTS (and the throwing resolver's `invalid`) with one query each. */
  const EXPECTED = { acme: 1, invalid: 6, system: 1 };

  function queriesByTenant(points: Parameters<typeof valuesByLabels>[0]): Record<string, number> {
    const byTenant: Record<string, number> = {};
    for (const [labels, value] of Object.entries(valuesByLabels(points, 'db_queries_total'))) {
      const tenant = /tenant_id=([^,]*)/.exec(labels)?.[1] as string;
      byTenant[tenant] = (byTenant[tenant] ?? 0) + value;
    }
    return byTenant;
  }

  it('instrumentPostgres on the real server, with two workers', async () => {
    const { collector, receiver } = await startPipeline({ workers: 2 });
    const context = new AsyncLocalStorage<{ tenant: unknown }>();
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 2 }), { database: 'test', tenant: resolverOver(context) });
    try {
      // Awaited inside the context: a postgres.js query starts when it is awaited.
      await forEachContext(context, async () => {
        await sql`select 1`;
      });
      await collector.flush();
      expect(queriesByTenant(receiver.points)).toEqual(EXPECTED);
      // 42, { id: 7 }, '' and the throwing resolver; 'system' and 'unknown' are reserved.
      expect(collector.stats().rejectedBy).toEqual({ 'instrumentPostgres.tenant': 4, 'instrumentPostgres.tenant.reserved': 2 });
      expect(collector.stats().workers).toEqual({ count: 2, running: 2, restarts: 0, lostRecords: 0, possiblyDelivered: 0 });
    } finally {
      await sql.end();
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('instrumentPglite and drizzleLogger', async () => {
    const { collector, receiver } = await startPipeline();
    const logged = await startPipeline();
    const context = new AsyncLocalStorage<{ tenant: unknown }>();
    const bare = await freshPglite();
    const pglite = instrumentPglite(collector, bare, { tenant: resolverOver(context) });
    // The logger on a collector of its own: beside an instrumented client of the same collector it stands aside.
    // Drizzle over the instance itself, not the instrumented client: the collector sees none of Drizzle's queries, and
    // the logger none of the client's, as with a PGlite of its own (which would cost ~2 s of CPU to open).
    const db = drizzle(bare, { logger: drizzleLogger(logged.collector, { tenant: resolverOver(context) }) });
    try {
      await forEachContext(context, async () => {
        await pglite.query('select 1');
      });
      // A Drizzle query starts when it is awaited: inside the context.
      await forEachContext(context, async () => {
        await db.execute('select 1');
      });
      await collector.flush();
      await logged.collector.flush();
      expect(queriesByTenant(receiver.points)).toEqual(EXPECTED);
      expect(queriesByTenant(logged.receiver.points)).toEqual(EXPECTED);
      expect(collector.stats().rejectedBy).toEqual({ 'instrumentPglite.tenant': 4, 'instrumentPglite.tenant.reserved': 2 });
      expect(logged.collector.stats().rejectedBy).toEqual({ 'drizzleLogger.tenant': 4, 'drizzleLogger.tenant.reserved': 2 });
    } finally {
      await bare.close();
      for (const { collector: c, receiver: r } of [{ collector, receiver }, logged]) {
        await c.shutdown();
        await r.stop();
      }
    }
  });
});
