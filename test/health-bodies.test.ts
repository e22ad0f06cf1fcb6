import { Hono, type Context } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { honoMetrics, operationsRoutes } from 'ringmeter/hono';
import { withoutTenantIds } from '../dist/src/operations/tenant-free-text.js';
import { startPipeline } from './support/harness.js';
import { type LocalServer, serveLocally } from './support/node-server.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';

/**
 * Issue #28, item 9: GET /health and /metrics/health are for probes anyone may call; their bodies name no tenant,
 * even where they quote text ringmeter did not write (a backend's refusal, a tenant resolver's exception).
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

const authorize = (c: Context) => c.req.header('x-caller') === 'admin';

describe('the health bodies', () => {
  it('name no tenant, even when a tenant resolver or the backend names one in its message', async () => {
    ({ collector, receiver } = await startPipeline());
    // The backend takes the batch but refuses a point, echoing its series (as Prometheus-like backends do) and
    // naming a tenant in its own words; the application's tenant resolver throws for a suspended tenant.
    receiver.respond = () => ({
      status: 200,
      body: JSON.stringify({
        partialSuccess: {
          rejectedDataPoints: '1',
          errorMessage: 'out of order sample: http_requests_total{route="/orders/:id",tenant_id="globex-inc"}; acme-corp over quota',
        },
      }),
    });
    const app = new Hono();
    app.use(
      honoMetrics(collector, {
        tenant: (c) => {
          const tenant = c.req.header('x-tenant-id');
          if (c.req.header('x-suspended') !== undefined) throw new Error(`tenant ${tenant} is suspended`);
          return tenant;
        },
      }),
    );
    app.route('/', operationsRoutes(collector, { authorize }));
    app.get('/orders/:id', (c) => c.text('order'));
    server = await serveLocally(app);
    await (await fetch(`${server.base}/orders/1`, { headers: { 'x-tenant-id': 'acme-corp' } })).text();
    await (await fetch(`${server.base}/orders/2`, { headers: { 'x-tenant-id': 'acme-corp', 'x-suspended': '1' } })).text();
    await collector.flush().catch(() => {});

    // What the application's own code reads still says it all (it is the application's). The resolver's throw is
    // the application's mistake, counted by hook (its request recorded as `invalid`), never quoted in a reason.
    expect(collector.stats().rejectedBy).toEqual({ 'honoMetrics.tenant': 1 });
    expect(collector.health().reasons.join('\n')).not.toContain('suspended');
    expect(collector.stats().export.lastError).toContain('tenant_id="globex-inc"');

    for (const path of ['/health', '/metrics/health']) {
      const body = await (await fetch(`${server.base}${path}`)).text();
      expect(body, path).not.toContain('acme-corp');
      expect(body, path).not.toContain('globex-inc');
      expect(body, path).not.toContain('suspended');
    }
    const pipeline = (await (await fetch(`${server.base}/metrics/health`)).json()) as any;
    expect(pipeline.export.last_error).toBe(
      `the backend at ${receiver.url} rejected 1 data points: out of order sample: http_requests_total{route="/orders/:id",tenant_id=<tenant>}; <tenant> over quota`,
    );
  });

  it('tenant ids are replaced where they stand as a token, longest first; other words and pseudo-tenant names stay', () => {
    const ids = new Set(['a', 'acme', 'acme-eu', 'unknown', 'team/a b']);
    const isTenant = { has: (id: string) => ids.has(id), hasIdOfLength: (units: number) => [...ids].some((id) => id.length === units) };
    expect(withoutTenantIds('data for acme-eu and acme, not acmes; unknown error', isTenant)).toBe(
      'data for <tenant> and <tenant>, not acmes; unknown error',
    );
    expect(withoutTenantIds('quota of team/a b exceeded', isTenant)).toBe('quota of <tenant> exceeded');
    expect(withoutTenantIds('tenant_id=zeta "tenant_id":"eta" tenant_id: \'theta\' tenant_id=\\"iota\\"', isTenant)).toBe(
      'tenant_id=<tenant> "tenant_id":<tenant> tenant_id: <tenant> tenant_id=<tenant>',
    );
    expect(withoutTenantIds('nothing here', isTenant)).toBe('nothing here');
  });
});
