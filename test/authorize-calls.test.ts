import { Hono, type Context } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { operationsRoutes } from 'ringmeter/hono';
import { startPipeline } from './support/harness.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';

/**
 * Issue #28, item 8: one analytics request from a one-tenant caller asked `authorize` once per tenant (10,001 calls
 * and 12 s for 10,000 tenants with an authorize that awaits one event-loop turn). Now each request asks a bounded
 * number of questions, whatever the number of tenants.
 */

const TENANTS = 10_000;
const OWN = 't4242';

/** The caller's tenant is its `x-caller` header; `admin` may see every tenant. */
function callerOf(c: Context): string | undefined {
  return c.req.header('x-caller');
}

/** One event-loop turn, as an authorize that looks something up would take at least. */
const oneTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('authorize calls per request, with 10,000 tenants', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  /** Every question asked, in order, since the last reset. */
  const asked: string[] = [];
  let batchCalls = 0;
  let perTenant: Hono;
  let batch: Hono;
  /** Entries of a '*' caller's tenant list. */
  let listed = 0;

  const get = async (on: Hono, path: string, caller: string) => {
    asked.length = 0;
    batchCalls = 0;
    const response = await on.request(path, { headers: { 'x-caller': caller } });
    const text = await response.text();
    return {
      status: response.status,
      body: response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text,
    };
  };

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
    // The caller's own tenant first, so that it holds state of its own before the memory bound folds newer tenants
    // into `__overflow__` (at default options about 1,300 of the 10,000 get their own): three calls, one a 5xx.
    collector.recordHttp({ method: 'GET', route: '/r', statusCode: 200, tenantId: OWN, durationSeconds: 0.02 });
    collector.recordHttp({ method: 'GET', route: '/r', statusCode: 503, tenantId: OWN, durationSeconds: 0.03 });
    for (let i = 0; i < TENANTS; i++) {
      collector.recordHttp({ method: 'GET', route: '/r', statusCode: 200, tenantId: `t${i}`, durationSeconds: 0.01 });
    }
    await collector.flush();
    expect(collector.stats().ring.dropped).toBe(0);
    // A '*' caller's list: every tenant with state of its own, and `__overflow__` for the folded ones.
    const { tenants, foldedTenants } = collector.stats().memory;
    expect(tenants + foldedTenants).toBe(TENANTS);
    listed = tenants + (foldedTenants > 0 ? 1 : 0);

    const authorize = async (c: Context, tenant: string) => {
      asked.push(tenant);
      await oneTurn();
      return callerOf(c) === 'admin' || callerOf(c) === tenant;
    };
    const authorizeTenants = async (c: Context) => {
      batchCalls++;
      await oneTurn();
      const caller = callerOf(c);
      return caller === 'admin' ? '*' : caller === undefined ? [] : [caller];
    };
    perTenant = new Hono().route('/', operationsRoutes(collector, { authorize }));
    batch = new Hono().route('/', operationsRoutes(collector, { authorizeTenants }));
  }, 60_000);

  afterAll(async () => {
    await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
    await receiver?.stop();
  });

  const ownSummary = {
    tenant: OWN,
    calls: 3,
    server_errors: 1,
    client_errors: 0,
    error_rate: 1 / 3,
    requests_last_hour: 3,
  };
  const ownEndpoint = {
    method: 'GET',
    route: '/r',
    calls: 3,
    server_errors: 1,
    client_errors: 0,
    requests_per_hour: 3,
    latency_seconds: null,
    top_tenants: [{ tenant: OWN, calls: 3, error_rate: 1 / 3 }],
  };

  it("per-tenant authorize: a list asks '*' and each tenant named, nothing more", async () => {
    const tenants = await get(perTenant, `/metrics/tenants?tenant=${OWN}`, OWN);
    expect(asked).toEqual(['*', OWN]);
    expect(tenants.status).toBe(200);
    expect(tenants.body.tenants).toHaveLength(1);
    expect(tenants.body.tenants[0]).toMatchObject(ownSummary);
    expect(tenants.body.tenants[0].latency_seconds.avg).toBeCloseTo(0.02, 12);

    const endpoints = await get(perTenant, `/metrics/endpoints?tenant=${OWN}`, OWN);
    expect(asked).toEqual(['*', OWN]);
    expect(endpoints.body.endpoints).toHaveLength(1);
    expect(endpoints.body.endpoints[0]).toMatchObject(ownEndpoint);

    const database = await get(perTenant, `/metrics/database?tenant=${OWN}`, OWN);
    expect(asked).toEqual(['*', OWN]);
    expect(database.body).toMatchObject({ queries: 0, top_tenants: [], connections: null, latency_seconds: null });

    // Unnamed: refused after the one '*' question, instead of 10,000 more.
    const unnamed = await get(perTenant, '/metrics/tenants', OWN);
    expect(asked).toEqual(['*']);
    expect(unnamed).toEqual({
      status: 403,
      body: { error: 'not allowed to see every tenant: name the tenants to list with ?tenant=<id> (at most 20)' },
    });

    // The most a list may cost: '*' and 20 names.
    const twenty = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const many = await get(perTenant, `/metrics/tenants?${twenty.map((name) => `tenant=${name}`).join('&')}`, OWN);
    expect(asked).toEqual(['*', ...twenty]);
    expect(many.body.tenants).toEqual([]);
    const tooMany = await get(perTenant, `/metrics/tenants?${[...twenty, OWN].map((name) => `tenant=${name}`).join('&')}`, OWN);
    expect(tooMany).toEqual({ status: 400, body: { error: 'at most 20 tenant parameters (got 21)' } });
    expect(asked).toEqual([]);
    expect(await get(perTenant, '/metrics/tenants?tenant=', OWN)).toEqual({ status: 400, body: { error: 'a tenant parameter is empty' } });
  });

  it('per-tenant authorize: one tenant, /metrics and a list for a * caller ask one question each', async () => {
    const own = await get(perTenant, `/metrics/tenants/${OWN}`, OWN);
    expect(asked).toEqual([OWN]);
    expect(own.body).toMatchObject(ownSummary);

    expect((await get(perTenant, '/metrics/tenants/t1', OWN)).status).toBe(403);
    expect(asked).toEqual(['t1']);

    expect((await get(perTenant, '/metrics', OWN)).status).toBe(403);
    expect(asked).toEqual(['*']);

    const all = await get(perTenant, '/metrics/tenants', 'admin');
    expect(asked).toEqual(['*']);
    expect(all.body.tenants).toHaveLength(listed);
    expect(all.body.tenants.find((t: any) => t.tenant === OWN)).toMatchObject(ownSummary);
  });

  it('authorizeTenants: one call per request on every route', async () => {
    const tenants = await get(batch, '/metrics/tenants', OWN);
    expect(batchCalls).toBe(1);
    expect(tenants.body.tenants).toHaveLength(1);
    expect(tenants.body.tenants[0]).toMatchObject(ownSummary);

    const endpoints = await get(batch, '/metrics/endpoints', OWN);
    expect(batchCalls).toBe(1);
    expect(endpoints.body.endpoints).toHaveLength(1);
    expect(endpoints.body.endpoints[0]).toMatchObject(ownEndpoint);

    const database = await get(batch, '/metrics/database', OWN);
    expect(batchCalls).toBe(1);
    expect(database.body).toMatchObject({ queries: 0, top_tenants: [], connections: null });

    expect((await get(batch, `/metrics/tenants/${OWN}`, OWN)).body).toMatchObject(ownSummary);
    expect(batchCalls).toBe(1);
    expect((await get(batch, '/metrics/tenants/t1', OWN)).status).toBe(403);
    expect(batchCalls).toBe(1);
    expect((await get(batch, '/metrics', OWN)).status).toBe(403);
    expect(batchCalls).toBe(1);

    const all = await get(batch, '/metrics/tenants', 'admin');
    expect(batchCalls).toBe(1);
    expect(all.body.tenants).toHaveLength(listed);
  });

  it('authorizeTenants answering something else than * or an array of ids grants nothing: 500', async () => {
    for (const wrong of ['acme', [1, 2], null, { tenants: [OWN] }]) {
      const app = new Hono().route('/', operationsRoutes(collector, { authorizeTenants: () => wrong as never }));
      for (const path of ['/metrics/tenants', `/metrics/tenants/${OWN}`]) {
        const response = await app.request(path);
        expect([response.status, await response.json()]).toEqual([500, { error: 'authorize failed' }]);
      }
      const metrics = await app.request('/metrics');
      expect([metrics.status, await metrics.text()]).toEqual([500, '# ringmeter: authorize failed\n']);
    }
  });
});
