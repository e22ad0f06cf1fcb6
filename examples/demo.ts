/**
 * `npm start`: a small multi-tenant Hono API on @hono/node-server, instrumented with ringmeter, under generated
 * traffic from 12 tenants (a few busy, most quiet). Orders live in PostgreSQL (through Drizzle over an
 * instrumented postgres.js client) when DATABASE_URL, or the local test server, answers; else in memory.
 * Metrics go to OTEL_EXPORTER_OTLP_(METRICS_)ENDPOINT when set (SigNoz: http://localhost:4318), else to a local
 * console receiver that prints per-tenant totals.
 *
 *   DEMO_SECONDS   how long to generate traffic (default 20; 0 = until Ctrl+C)
 *   PORT           the API's port (default 3000; 0 = any free port)
 *   DATABASE_URL   PostgreSQL (default postgres://postgres@127.0.0.1:5432/test; the demo uses one table of its own)
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createCollector } from '../src/index.js';
import { drizzleLogger } from '../src/drizzle/index.js';
import { honoMetrics } from '../src/hono/index.js';
import { instrumentPostgres } from '../src/postgres/index.js';
import { ConsoleReceiver } from './console-receiver.js';
import { connectOrders, type OrderStore } from './orders.js';

const seconds = Number(process.env.DEMO_SECONDS ?? 20);
const port = Number(process.env.PORT ?? 3000);
const external = process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const receiver = external === undefined ? new ConsoleReceiver() : undefined;
const endpoint = receiver === undefined ? undefined : await receiver.start();

const collector = createCollector({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'ringmeter-demo',
  otlp: { endpoint, exportIntervalMillis: 5_000 },
});

const orders: OrderStore = await connectOrders(
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  (sql) => instrumentPostgres(collector, sql, { database: 'demo' }),
  drizzleLogger(collector),
);

const app = new Hono();
app.use(honoMetrics(collector, { categories: [{ match: '/api/reports', category: 'reports' }] }));
app.get('/healthz', (c) => c.text('ok'));
app.post('/auth/login', async (c) => c.json({ token: 'demo' }));
app.get('/api/orders', async (c) => c.json(await orders.list(c.req.header('x-tenant-id') ?? 'unknown')));
app.get('/api/orders/:id', async (c) => {
  const order = await orders.get(c.req.header('x-tenant-id') ?? 'unknown', Number(c.req.param('id')));
  return order === undefined ? c.json({ error: 'no such order' }, 404) : c.json(order);
});
app.post('/api/orders', async (c) => {
  const { sku, qty } = await c.req.json<{ sku: string; qty: number }>();
  return c.json(await orders.create(c.req.header('x-tenant-id') ?? 'unknown', sku, qty), 201);
});
app.get('/api/reports/:name', async (c) => {
  await sleep(40 + Math.random() * 160);
  collector.recordTenantResource({ tenantId: c.req.header('x-tenant-id'), resourceType: 'report_render', usage: 1, dataType: 'count' });
  return c.text(`report ${c.req.param('name')}\n`.repeat(200));
});
app.get('/api/flaky', (c) => (Math.random() < 0.3 ? c.json({ error: 'upstream timeout' }, 503) : c.json({ ok: true })));

const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const address = server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : port}`;
console.log(
  `ringmeter demo: API on ${base}, orders in ${orders.description}, metrics to ${external ?? `the console receiver (${endpoint})`}`,
);

const tenants = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell', 'cyberdyne', 'soylent', 'wonka', 'oscorp'];
const paths: Array<[string, string, string?]> = [
  ['GET', '/api/orders'],
  ['GET', '/api/orders/1'],
  ['GET', '/api/orders/2'],
  ['POST', '/api/orders', '{"sku":"A-1","qty":2}'],
  ['GET', '/api/reports/monthly'],
  ['GET', '/api/flaky'],
  ['POST', '/auth/login', '{"user":"demo"}'],
  ['GET', '/healthz'],
  ['GET', '/nope'],
];
let running = true;
async function client(worker: number): Promise<void> {
  for (let n = worker; running; n += 7) {
    // Zipf-like: tenant i gets about 1/(i+1) of the traffic.
    const tenant = tenants[Math.min(tenants.length - 1, Math.floor(tenants.length ** Math.random()) - 1)];
    const [method, path, body] = paths[n % paths.length];
    const response = await fetch(base + path, { method, body, headers: { 'x-tenant-id': tenant, 'content-type': 'application/json' } });
    await response.arrayBuffer();
  }
}
const clients = Array.from({ length: 8 }, (_, i) => client(i));

const printer = setInterval(() => print(), 5_000);
async function stop(): Promise<void> {
  running = false;
  clearInterval(printer);
  await Promise.all(clients);
  server.close();
  await orders.close();
  await collector.shutdown().catch((error: Error) => console.error(`final export failed: ${error.message}`));
  print();
  await receiver?.stop();
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
if (seconds > 0) setTimeout(() => void stop(), seconds * 1_000);

function print(): void {
  const stats = collector.stats();
  console.log(
    `\nring: ${stats.ring.written} written, ${stats.ring.dropped} dropped; exports: ${stats.export.succeeded} ok, ${stats.export.failed} failed` +
      (stats.export.lastError ? ` (last error: ${stats.export.lastError})` : ''),
  );
  if (receiver !== undefined && receiver.exports === 0) console.log('(waiting for the first export)');
  else if (receiver !== undefined) console.table(receiver.table());
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
