/**
 * `npm start`: a multi-tenant Hono API on @hono/node-server, instrumented with ringmeter, under generated traffic
 * from twelve tenants with patterns of their own. Orders live in an embedded PostgreSQL (PGlite, in memory) through
 * Drizzle, or on the server at DATABASE_URL (postgres.js). Metrics go over OTLP to
 * OTEL_EXPORTER_OTLP_(METRICS_)ENDPOINT when set (SigNoz: http://localhost:4318), else to a local console receiver
 * whose per-interval summary is printed. Runs until Ctrl+C (SIGINT) or SIGTERM, then shuts the collector down.
 *
 *   PORT           the API's port (default 3000; 0 = any free port)
 *   DEMO_SECONDS   stop by itself after this long (default 0: run until stopped)
 *   DEMO_EXPORT_SECONDS  export (and print a summary) this often (default 5)
 *   DATABASE_URL   use this PostgreSQL server instead of the embedded one
 *
 * This file is the demo's edge: the only one that reads the environment (createCollector reads the OTEL_* ones).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createCollector, type Collector } from '../src/index.js';
import { ConsoleReceiver, type TenantInterval } from './console-receiver.js';
import { createDemoApp, DEMO_OPERATIONS } from './demo-app.js';
import { openEmbeddedOrders, openServerOrders, type OrderStore } from './orders.js';
import { demoTenants, TrafficGenerator } from './traffic.js';

interface DemoConfig {
  port: number;
  seconds: number;
  exportIntervalMillis: number;
  databaseUrl: string | undefined;
  /** The OTLP endpoint the collector reads from the environment, if any. */
  otlpEndpoint: string | undefined;
}

function readConfig(env: NodeJS.ProcessEnv): DemoConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new RangeError(`PORT must be an integer from 0 to 65535 (got ${env.PORT})`);
  const seconds = Number(env.DEMO_SECONDS ?? 0);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new RangeError(`DEMO_SECONDS must be a number of seconds, 0 or more (got ${env.DEMO_SECONDS})`);
  const exportSeconds = Number(env.DEMO_EXPORT_SECONDS ?? 5);
  if (!Number.isFinite(exportSeconds) || exportSeconds <= 0)
    throw new RangeError(`DEMO_EXPORT_SECONDS must be a number of seconds above 0 (got ${env.DEMO_EXPORT_SECONDS})`);
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  return {
    port,
    seconds,
    exportIntervalMillis: Math.round(exportSeconds * 1_000),
    databaseUrl: env.DATABASE_URL || undefined,
    otlpEndpoint,
  };
}

async function main(config: DemoConfig): Promise<void> {
  const receiver = config.otlpEndpoint === undefined ? new ConsoleReceiver() : undefined;
  const receiverUrl = await receiver?.start();
  const collector = createCollector({
    serviceName: 'ringmeter-demo',
    otlp: { endpoint: receiverUrl, exportIntervalMillis: config.exportIntervalMillis },
  });
  let orders: OrderStore;
  try {
    orders = config.databaseUrl === undefined ? await openEmbeddedOrders(collector) : await openServerOrders(collector, config.databaseUrl);
  } catch (error) {
    await collector.shutdown().catch(() => {});
    await receiver?.stop();
    throw new Error(`could not open the demo's database: ${(error as Error).message}`);
  }

  const app = createDemoApp(collector, orders);
  // Without createServer options, @hono/node-server serves over node:http.
  const server = serve({ fetch: app.fetch, port: config.port, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch(async (error: Error) => {
    await Promise.all([orders.close(), collector.shutdown().catch(() => {}), receiver?.stop()]);
    throw new Error(`could not listen on port ${config.port}: ${error.message} (set PORT to another port, or 0 for any free one)`);
  });
  server.on('error', () => {});
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const tenants = demoTenants(config.seconds > 0 ? Math.max(1, Math.round(config.seconds / 3)) : 30);
  const traffic = new TrafficGenerator(base, tenants);
  let printer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      console.log(`\n${why}: stopping the traffic, then the collector (final export)…`);
      clearInterval(printer);
      await traffic.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await orders.close();
      await collector.shutdown().catch((error: Error) => console.error(`final export failed: ${error.message}`));
      printInterval(collector, receiver);
      await receiver?.stop();
      console.log(`done: ${traffic.sent} requests sent (${traffic.failed} failed, ${traffic.shed} not sent: too many in flight)`);
    })();
    return stopping;
  };
  // Listen before the banner says the demo runs: a signal that came first would end the process unhandled.
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  printBanner(
    base,
    orders,
    receiverUrl,
    config,
    tenants.map(({ tenant, pattern }) => `${tenant} (${pattern})`),
  );
  traffic.start();
  printer = setInterval(() => printInterval(collector, receiver), config.exportIntervalMillis);

  if (config.seconds > 0) setTimeout(() => void stop(`${config.seconds} s (DEMO_SECONDS) are up`), config.seconds * 1_000);
}

function printBanner(base: string, orders: OrderStore, receiverUrl: string | undefined, config: DemoConfig, tenants: string[]): void {
  console.log(
    [
      'ringmeter demo',
      `  API               ${base}/`,
      `  try               ${base}/api/orders?tenant=acme   ${base}/api/reports/monthly?tenant=stark`,
      `  dashboard         ${base}${DEMO_OPERATIONS.dashboard}   (live, every 2 s)`,
      `  health            ${base}${DEMO_OPERATIONS.health}`,
      `  prometheus        ${base}${DEMO_OPERATIONS.metrics}`,
      `  database          ${orders.description}`,
      `  metrics to        ${config.otlpEndpoint ?? `the console receiver at ${receiverUrl} (set OTEL_EXPORTER_OTLP_ENDPOINT for SigNoz)`}`,
      `  tenants           ${tenants.join(', ')}`,
      `  runs              ${config.seconds > 0 ? `${config.seconds} s (DEMO_SECONDS)` : 'until Ctrl+C'}`,
    ].join('\n'),
  );
}

function printInterval(collector: Collector, receiver: ConsoleReceiver | undefined): void {
  const { ring, export: exports, workers } = collector.stats();
  console.log(
    `\n${new Date().toISOString()}  ring: ${ring.written} written, ${ring.dropped} dropped; ` +
      `exports: ${exports.succeeded} ok, ${exports.failed} failed${exports.lastError ? ` (last: ${exports.lastError})` : ''}; ` +
      `workers: ${workers.running}/${workers.count} running, ${workers.restarts} restarts`,
  );
  if (receiver === undefined) return;
  const rows = receiver.drain();
  if (rows.length === 0) {
    console.log('(no export received in this interval yet)');
    return;
  }
  console.table(Object.fromEntries(rows.map(([tenant, row]) => [tenant, summaryRow(row)])));
}

function summaryRow(row: TenantInterval): Record<string, number> {
  return {
    requests: row.requests,
    '4xx': row.clientErrors,
    '5xx': row.serverErrors,
    'avg ms': row.requests === 0 ? 0 : Math.round((row.requestSeconds / row.requests) * 10_000) / 10,
    queries: row.queries,
    'failed queries': row.failedQueries,
    commits: row.commits,
    rollbacks: row.rollbacks,
  };
}

await main(readConfig(process.env)).catch((error: Error) => {
  console.error(`ringmeter demo: ${error.message}`);
  process.exitCode = 1;
});
