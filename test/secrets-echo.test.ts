import { Hono } from 'hono';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createCollector } from 'ringmeter';
import { operationsRoutes } from 'ringmeter/hono';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { CONNECTION_STRING_REFUSALS, connectionStringRefusal } from './support/connection-strings.js';
import { OtlpReceiver } from './support/otlp-receiver.js';

// Values redact()'s patterns alone would not catch (no `key=`, no `Bearer`, no `//user:password@` once echoed
// without the URL around it): only knowing what was configured removes them.
const KEY = 'sk_live_7Qz2Vb9XwK4mN8pR';
const PASSWORD = 'pa55-Zq8wLm3';
const QUERY_SECRET = 'qs-9fTr2Kd7Yp';
const NEW_KEY = 'sk_live_Rotated0Key5Tx';
const SECRETS = [KEY, PASSWORD, QUERY_SECRET, NEW_KEY];

/** Every place an error text can reach: stats(), health(), and every operations route's body. */
async function everythingShown(collector: ReturnType<typeof createCollector>, app: Hono): Promise<string> {
  const paths = ['/health', '/metrics/health', '/otel/performance', '/metrics', '/metrics/dashboard/data', '/metrics/tenants'];
  const bodies = await Promise.all(paths.map(async (path) => `${path}: ${await (await app.request(path)).text()}`));
  return [JSON.stringify(collector.stats()), JSON.stringify(collector.health()), ...bodies].join('\n');
}

describe('a backend that echoes the credentials it was sent (issue #28, item 7)', () => {
  it('never gets a configured header value, URL password or query secret into any error text, stats, health or route', async () => {
    const receiver = await new OtlpReceiver().start();
    // It refuses with 401, putting the key it got, the URL it was asked for and the Authorization header (Node makes
    // one of the URL's user info) in its reason phrase and body; later it takes the data but refuses part of it,
    // echoing them in the partial success.
    let refusing = true;
    receiver.respond = (request) => {
      const echo = `key ${String(request.headers['x-ingest-key'])} at ${request.path} as ${String(request.headers.authorization)}`;
      if (refusing) return { status: 401, statusText: `Unauthorized ${echo}`, body: `{"error":"${echo}"}` };
      return { status: 200, body: JSON.stringify({ partialSuccess: { rejectedDataPoints: '1', errorMessage: `refused for ${echo}` } }) };
    };
    const base = new URL(receiver.url);
    const collector = createCollector({
      env: {},
      metrics: { runtime: false },
      otlp: {
        endpoint: `http://ingest:${PASSWORD}@${base.host}/v1/metrics?ingest=${QUERY_SECRET}`,
        headers: { 'x-ingest-key': KEY },
      },
    });
    const app = new Hono();
    app.route('/', operationsRoutes(collector, { authorize: () => true, dashboard: true }));
    const shown: string[] = [];
    try {
      collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      const refused = await collector.flush().then(
        () => undefined,
        (error: Error) => error,
      );
      expect(refused?.message).toMatch(
        /^ringmeter: export failed: http:\/\/127\.0\.0\.1:\d+\/v1\/metrics: HTTP 401 Unauthorized key \*\*\* at \/v1\/metrics\?ingest=\*\*\* as Basic \*\*\*; \d+ data points dropped$/,
      );
      shown.push(refused?.message ?? '', refused?.stack ?? '', await everythingShown(collector, app));
      // The backend really got them (so it could echo them): the scrubbing is ringmeter's, not a missing header.
      expect(receiver.requests[0].headers['x-ingest-key']).toBe(KEY);
      expect(receiver.requests[0].path).toBe(`/v1/metrics?ingest=${QUERY_SECRET}`);

      // A rotated key, through configure(): the connectivity check meets the 401 too and reports it, scrubbed.
      await collector.configure({ otlp: { headers: { 'x-ingest-key': NEW_KEY } } });
      const checked = Date.now() + 10_000;
      while (collector.stats().export.connectivity?.status === 'pending' && Date.now() < checked)
        await new Promise((r) => setTimeout(r, 10));
      expect(collector.stats().export.connectivity).toMatchObject({
        status: 'unreachable',
        error: expect.stringMatching(/HTTP 401 Unauthorized key \*\*\*/),
      });
      shown.push(await everythingShown(collector, app));

      // The partial success that echoes them.
      refusing = false;
      collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      const partial = await collector.flush().then(
        () => undefined,
        (error: Error) => error,
      );
      expect(partial?.message).toMatch(/rejected 1 data points: refused for key \*\*\* at \/v1\/metrics\?ingest=\*\*\* as Basic \*\*\*$/);
      shown.push(partial?.message ?? '', await everythingShown(collector, app));
      const shutdown = await collector.shutdown().then(
        () => undefined,
        (error: Error) => error,
      );
      shown.push(shutdown?.message ?? '');

      const everything = shown.join('\n');
      expect(everything).toContain('HTTP 401');
      for (const secret of SECRETS) expect(everything).not.toContain(secret);
      expect(everything).not.toContain(Buffer.from(`ingest:${PASSWORD}`).toString('base64'));
    } finally {
      await collector.shutdown().catch(() => {});
      await receiver.stop();
    }
  });
});

// instrumentPglite's refusal of the same strings: pglite-metrics.test.ts, on the PGlite that file has open.
describe("a connection string given as the database hooks' `database` label (issue #28, item 7)", () => {
  it('is refused by instrumentPostgres with a RangeError naming the option and why, never showing it', async () => {
    const collector = createCollector({ env: {}, metrics: { runtime: false }, otlp: { endpoint: 'http://127.0.0.1:9/v1/metrics' } });
    const sql = postgres(DATABASE_URL, { max: 1 });
    try {
      for (const [database, why] of Object.entries(CONNECTION_STRING_REFUSALS)) {
        expect(() => instrumentPostgres(collector, sql, { database })).toThrow(connectionStringRefusal(why));
      }
      // Names are fine, dots, dashes and at signs included.
      for (const database of ['orders', 'orders-eu.primary', 'tenant@eu'])
        expect(() => instrumentPostgres(collector, sql, { database })).not.toThrow();
    } finally {
      await sql.end();
      await collector.shutdown().catch(() => {});
    }
  });
});
