import { Hono, type Context } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { honoMetrics, operationsRoutes, type OperationsRoutesOptions } from 'ringmeter/hono';
import { readSamples } from './support/prometheus-samples.js';
import { startPipeline } from './support/harness.js';
import { type LocalServer, serveLocally } from './support/node-server.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';

/**
 * Issue #28, item 9: with `authorize`, the analytics API hid other tenants while GET /metrics served every
 * tenant's series to anyone. Now /metrics answers per-tenant series only to callers allowed '*' (unless opened on
 * purpose). Over @hono/node-server. (The health bodies: health-bodies.test.ts.)
 */

let collector: Collector;
let receiver: OtlpReceiver;
let server: LocalServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
  await receiver?.stop();
});

/** An admin may see every tenant, an `acme` caller acme alone; `broken` makes authorize throw. */
function authorize(c: Context, tenant: string): boolean {
  const caller = c.req.header('x-caller');
  if (caller === 'broken') throw new Error('token store down');
  return caller === 'admin' || (caller === 'acme' && tenant === 'acme');
}

/** A served app with acme (3 requests) and globex (2) recorded, and the operations routes mounted with `options`. */
async function serve(options?: OperationsRoutesOptions): Promise<string> {
  ({ collector, receiver } = await startPipeline());
  const app = new Hono();
  app.use(honoMetrics(collector));
  app.route('/', operationsRoutes(collector, options));
  app.get('/orders/:id', (c) => c.text('order'));
  server = await serveLocally(app);
  for (const [tenant, times] of [
    ['acme', 3],
    ['globex', 2],
  ] as const) {
    for (let i = 0; i < times; i++) await (await fetch(`${server.base}/orders/${i}`, { headers: { 'x-tenant-id': tenant } })).text();
  }
  await collector.flush();
  return server.base;
}

async function scrape(base: string, caller?: string) {
  const response = await fetch(`${base}/metrics`, { headers: caller === undefined ? {} : { 'x-caller': caller } });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** `http_requests_total` per tenant, from Prometheus text. */
function requestsByTenant(text: string): Record<string, number> {
  const byTenant: Record<string, number> = {};
  for (const { labels, value } of readSamples(text, new Set(['http_requests_total']))) {
    byTenant[labels.tenant_id ?? ''] = (byTenant[labels.tenant_id ?? ''] ?? 0) + value;
  }
  return byTenant;
}

const REFUSED = { status: 403, type: 'text/plain; charset=UTF-8', text: '# ringmeter: not allowed to see every tenant\n' };

describe('GET /metrics with authorize', () => {
  it("serves every tenant's series to a '*' caller only: 403 to a one-tenant caller and to anyone else", async () => {
    const base = await serve({ authorize });
    for (const caller of [undefined, 'acme', 'globex']) expect(await scrape(base, caller)).toEqual(REFUSED);
    expect(await scrape(base, 'broken')).toEqual({
      status: 500,
      type: 'text/plain; charset=UTF-8',
      text: '# ringmeter: authorize failed\n',
    });

    const admin = await scrape(base, 'admin');
    expect(admin.status).toBe(200);
    expect(admin.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(requestsByTenant(admin.text)).toEqual({ acme: 3, globex: 2 });
  });

  it("the same with authorizeTenants: only '*' opens it", async () => {
    const base = await serve({ authorizeTenants: (c) => (c.req.header('x-caller') === 'admin' ? '*' : ['acme', 'globex']) });
    expect(await scrape(base, 'acme')).toEqual(REFUSED);
    expect(requestsByTenant((await scrape(base, 'admin')).text)).toEqual({ acme: 3, globex: 2 });
  });

  it("metricsAccess: 'open' serves it to anyone, on purpose; without authorize it is open as before", async () => {
    for (const options of [{ authorize, metricsAccess: 'open' as const }, undefined]) {
      const base = await serve(options);
      const anyone = await scrape(base);
      expect(anyone.status).toBe(200);
      expect(requestsByTenant(anyone.text)).toEqual({ acme: 3, globex: 2 });
      await server?.close();
      server = undefined;
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('refuses a metricsAccess it cannot honour, naming it', async () => {
    ({ collector, receiver } = await startPipeline());
    expect(() => operationsRoutes(collector, { metricsAccess: 'authorize' })).toThrow(
      new TypeError("options.metricsAccess 'authorize' needs options.authorize or options.authorizeTenants to ask"),
    );
    expect(() => operationsRoutes(collector, { authorize, metricsAccess: 'closed' as never })).toThrow(
      new TypeError("options.metricsAccess must be 'authorize' or 'open' (got \"closed\")"),
    );
    expect(() => operationsRoutes(collector, { authorize, authorizeTenants: () => '*' })).toThrow(
      new TypeError('options.authorize and options.authorizeTenants are two forms of one decision: give one of them'),
    );
    expect(() => operationsRoutes(collector, { authorizeTenants: ['acme'] as never })).toThrow(
      new TypeError("options.authorizeTenants must be a function (c) => '*' | string[] | Promise<'*' | string[]> (got object)"),
    );
  });
});
