import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Collector } from '../src/index.js';
import { honoMetrics, operationsRoutes } from '../src/hono/index.js';
import type { OrderStore } from './orders.js';

/** Bodies beyond this are refused (413) before they are read: an order is a few dozen bytes. */
const MAX_BODY_BYTES = 16 * 1024;
const SKU = /^[A-Z0-9-]{1,32}$/;

/** The operations endpoints the demo mounts (operationsRoutes, the analytics API and the dashboard included), printed in its banner. */
export const DEMO_OPERATIONS = {
  health: '/health',
  metrics: '/metrics',
  dashboard: '/metrics/dashboard',
  tenants: '/metrics/tenants',
  endpoints: '/metrics/endpoints',
  database: '/metrics/database',
} as const;

/** The demo's routes, listed by GET /. */
export const DEMO_ROUTES = [
  'GET /api/orders',
  'GET /api/orders/:id',
  'POST /api/orders  {"sku":"A-1","qty":2}',
  'GET /api/reports/:name',
  'GET /api/flaky',
  'POST /auth/login',
];

/**
 * The demo's multi-tenant API: orders in PostgreSQL, slow reports, a flaky upstream. The tenant is the
 * `x-tenant-id` header, or `?tenant=` so that a browser can ask too. Any input gets an answer (4xx for what is
 * malformed), never an exception out of a handler.
 */
export function createDemoApp(collector: Collector, orders: OrderStore, random: () => number = Math.random): Hono {
  const app = new Hono();
  const tenantOf = (c: Context): string | undefined => c.req.header('x-tenant-id') ?? c.req.query('tenant');
  app.use(honoMetrics(collector, { tenant: tenantOf, categories: [{ match: '/api/reports', category: 'reports' }] }));
  app.use(bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: `body over ${MAX_BODY_BYTES} bytes` }, 413) }));
  // The analytics routes and the dashboard answer a caller on this machine only (a real service would ask its own
  // auth which tenants the caller may see). untracked(): polling them is not counted as the API's traffic.
  app.route('/', operationsRoutes(collector, { authorize: fromLoopback, dashboard: true }));
  app.get('/', (c) =>
    c.json({ service: 'ringmeter demo', tenant: 'x-tenant-id header or ?tenant=', routes: DEMO_ROUTES, operations: DEMO_OPERATIONS }),
  );
  app.get('/api/orders', async (c) => c.json(await orders.list(tenantOf(c) ?? 'unknown')));
  app.get('/api/orders/:id', async (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return c.json({ error: 'id must be a positive integer' }, 400);
    const order = await orders.get(tenantOf(c) ?? 'unknown', id);
    return order === undefined ? c.json({ error: 'no such order' }, 404) : c.json(order);
  });
  app.post('/api/orders', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const { sku, qty } = (body ?? {}) as { sku?: unknown; qty?: unknown };
    if (typeof sku !== 'string' || !SKU.test(sku) || typeof qty !== 'number' || !Number.isSafeInteger(qty) || Math.abs(qty) > 1_000) {
      return c.json({ error: 'body must be {"sku": "A-1", "qty": 1..1000}' }, 400);
    }
    // A quantity below 1 reaches the database, whose check constraint refuses it: the transaction rolls back.
    const order = await orders.create(tenantOf(c) ?? 'unknown', sku, qty).catch((error: unknown) => error);
    if (isCheckViolation(order)) return c.json({ error: 'qty must be at least 1' }, 422);
    if (order instanceof Error) throw order;
    return c.json(order, 201);
  });
  app.get('/api/reports/:name', async (c) => {
    await sleep(40 + random() * 160);
    collector.recordTenantResource({ tenantId: tenantOf(c), resourceType: 'report_render', usage: 1, dataType: 'count' });
    return c.text(`report ${c.req.param('name')}\n`.repeat(200));
  });
  app.get('/api/flaky', (c) => (random() < 0.3 ? c.json({ error: 'upstream timeout' }, 503) : c.json({ ok: true })));
  app.post('/auth/login', (c) => c.json({ token: 'demo' }));
  app.onError((_error, c) => c.json({ error: 'internal error' }, 500));
  return app;
}

/** SQLSTATE 23514 (check_violation), from postgres.js or PGlite, possibly wrapped by Drizzle as `cause`. */
/**
 * The demo's `authorize`: every tenant, to a caller on a loopback address; nothing to anyone else. Outside
 * @hono/node-server (app.request in a test) there is no address to read: nothing.
 */
export function fromLoopback(c: Context): boolean {
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    return false;
  }
  return address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}

function isCheckViolation(error: unknown): boolean {
  for (let cause = error, depth = 0; cause !== null && typeof cause === 'object' && depth < 3; depth++) {
    if ((cause as { code?: unknown }).code === '23514') return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
