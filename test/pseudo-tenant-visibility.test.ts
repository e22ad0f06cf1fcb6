import { Hono, type Context } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_LIMITS, type Collector } from 'ringmeter';
import { honoMetrics, operationsRoutes } from 'ringmeter/hono';
import { PSEUDO_TENANTS } from '../dist/src/contract/strings-layout.js';
import { shownTenant, shownTenants } from '../dist/src/operations/tenant-visibility.js';
import { startPipeline } from './support/harness.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';

/**
 * Issue #28, item 2 (read side): the pseudo-tenants pool many callers' traffic under reserved names. A caller
 * allowed a tenant that bears one of those names must never see the pooled traffic; only a caller allowed every
 * tenant ('*') sees the pseudo-tenants, and no list shows a name twice.
 */

/** Ids the application believes are its tenants' (a caller's own tenant list could hold any string). */
const RESERVED_AND_ACME = ['unknown', 'invalid', '__overflow__', 'system', 'acme'];

function authorize(c: Context, tenant: string): boolean {
  const caller = c.req.header('x-caller');
  if (caller === 'admin') return true;
  return caller === 'reserved-names' && RESERVED_AND_ACME.includes(tenant);
}

function authorizeTenants(c: Context): '*' | string[] {
  return c.req.header('x-caller') === 'admin' ? '*' : RESERVED_AND_ACME;
}

describe('pseudo-tenants in the analytics API', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let app: Hono;
  let batchApp: Hono;

  const get = async (on: Hono, path: string, caller: string) => {
    const response = await on.request(path, { headers: { 'x-caller': caller } });
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    // Two tenant slots: acme and globex take them, initech is pooled under __overflow__.
    ({ collector, receiver } = await startPipeline({ maxTenants: 2 }));
    app = new Hono();
    app.use(honoMetrics(collector));
    app.route('/', operationsRoutes(collector, { authorize }));
    app.get('/orders/:id', (c) => c.text('order'));
    batchApp = new Hono().route('/', operationsRoutes(collector, { authorizeTenants }));
    const as = async (tenant: string | undefined) => {
      const response = await app.request('/orders/1', { headers: tenant === undefined ? {} : { 'x-tenant-id': tenant } });
      expect(response.status).toBe(200);
    };
    for (const tenant of ['acme', 'globex', 'initech']) await as(tenant);
    // 23 requests without a tenant (`unknown`), 2 with an id over the length limit (`invalid`).
    for (let i = 0; i < 23; i++) await as(undefined);
    for (let i = 0; i < 2; i++) await as('x'.repeat(LABEL_LIMITS.tenantId + 1));
    await collector.flush();
  });

  afterAll(async () => {
    await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
    await receiver?.stop();
  });

  it('the reserved names are the four pseudo-tenants', () => {
    expect(PSEUDO_TENANTS).toEqual(['unknown', 'invalid', '__overflow__', 'system']);
  });

  it('a caller allowed a reserved name gets 404 for it, never the pooled traffic', async () => {
    for (const on of [app, batchApp]) {
      for (const name of PSEUDO_TENANTS) {
        expect(await get(on, `/metrics/tenants/${name}`, 'reserved-names')).toEqual({ status: 404, body: { error: 'no such tenant' } });
      }
      // Its own real tenant, acme, it does see.
      expect((await get(on, '/metrics/tenants/acme', 'reserved-names')).body).toMatchObject({ tenant: 'acme', calls: 1 });
    }
  });

  it('lists for that caller hold its real tenant alone, with its own figures only', async () => {
    const named = `?${RESERVED_AND_ACME.map((name) => `tenant=${encodeURIComponent(name)}`).join('&')}`;
    // The per-tenant authorize lists the tenants named; authorizeTenants lists the caller's own.
    for (const [on, query] of [
      [app, named],
      [batchApp, ''],
    ] as const) {
      const tenants = await get(on, `/metrics/tenants${query}`, 'reserved-names');
      expect(tenants.status).toBe(200);
      expect(tenants.body.tenants.map((t: any) => [t.tenant, t.calls])).toEqual([['acme', 1]]);

      const endpoints = await get(on, `/metrics/endpoints${query}`, 'reserved-names');
      expect(endpoints.body.endpoints.map((e: any) => [e.method, e.route, e.calls, e.top_tenants])).toEqual([
        ['GET', '/orders/:id', 1, [{ tenant: 'acme', calls: 1, error_rate: 0 }]],
      ]);

      const database = await get(on, `/metrics/database${query}`, 'reserved-names');
      expect(database.body).toMatchObject({ queries: 0, top_tenants: [], connections: null });
      for (const body of [tenants.body, endpoints.body, database.body]) {
        for (const name of PSEUDO_TENANTS) expect(JSON.stringify(body)).not.toContain(`"${name}"`);
      }
    }
  });

  it("a '*' caller sees each pseudo-tenant once, with the pooled figures", async () => {
    for (const on of [app, batchApp]) {
      const tenants = await get(on, '/metrics/tenants', 'admin');
      expect(tenants.body.tenants.map((t: any) => [t.tenant, t.calls])).toEqual([
        ['__overflow__', 1],
        ['acme', 1],
        ['globex', 1],
        ['invalid', 2],
        ['unknown', 23],
      ]);
      expect((await get(on, '/metrics/tenants/unknown', 'admin')).body).toMatchObject({ tenant: 'unknown', calls: 23 });
      expect((await get(on, '/metrics/tenants/system', 'admin')).status).toBe(404);

      const endpoints = await get(on, '/metrics/endpoints', 'admin');
      expect(endpoints.body.endpoints.map((e: any) => [e.route, e.calls, e.top_tenants.map((t: any) => [t.tenant, t.calls])])).toEqual([
        [
          '/orders/:id',
          28,
          [
            ['unknown', 23],
            ['invalid', 2],
            ['__overflow__', 1],
            ['acme', 1],
            ['globex', 1],
          ],
        ],
      ]);
    }
    // The application's own code reads as a '*' caller.
    expect(await collector.tenant('unknown')).toMatchObject({ tenant: 'unknown', calls: 23 });
  });
});

describe('a real tenant bearing a reserved name (only a recorder from before the rule can make one)', () => {
  /** A worker's entry with the figures that matter here. */
  const entry = (tenant: string, pseudo: boolean, requests: number, lastSeenMillis = 1_000) =>
    ({ tenant, pseudo, requests, lastSeenMillis }) as any;
  const shards = [{ tenants: [entry('unknown', true, 23), entry('acme', false, 4)] }, { tenants: [entry('unknown', false, 1)] }] as any[];

  it("is shown to nobody: a '*' list shows the name once, as the pooled traffic; others see neither", () => {
    expect(shownTenants(shards, true).map((t) => [t.tenant, t.requests])).toEqual([
      ['acme', 4],
      ['unknown', 23],
    ]);
    expect(shownTenants(shards, false).map((t) => [t.tenant, t.requests])).toEqual([['acme', 4]]);
    expect(shownTenant(shards, 'unknown', true)?.requests).toBe(23);
    expect(shownTenant(shards, 'unknown', false)).toBeUndefined();
  });

  it('a tenant with two entries while retention hands its slot over is shown once, the more recently seen', () => {
    const handOver = [{ tenants: [entry('acme', false, 9, 1_000)] }, { tenants: [entry('acme', false, 2, 5_000)] }] as any[];
    expect(shownTenants(handOver, true).map((t) => [t.tenant, t.requests])).toEqual([['acme', 2]]);
    expect(shownTenant(handOver, 'acme', false)?.requests).toBe(2);
  });
});
