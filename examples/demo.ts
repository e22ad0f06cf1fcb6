/**
 * `npm start`: a multi-tenant Hono API on @hono/node-server, instrumented with ringmeter, under generated traffic
 * from twelve tenants with patterns of their own. Orders live in an embedded PostgreSQL (PGlite, in memory) through
 * Drizzle, or on the server at DATABASE_URL (postgres.js). Metrics go over OTLP to
 * OTEL_EXPORTER_OTLP_(METRICS_)ENDPOINT when set (SigNoz: http://localhost:4318), else to ringmeter's console
 * exporter, which prints a summary of every interval. Runs until Ctrl+C (SIGINT) or SIGTERM, then shuts the collector
 * down. It opens one port only, the API's, which also serves the health, Prometheus, analytics and dashboard routes.
 *
 *   PORT           the API's port (default 3000; 0 = any free port)
 *   DEMO_SECONDS   stop by itself after this long (default 0: run until stopped)
 *   DEMO_EXPORT_SECONDS  export (and print a summary) this often (default 5)
 *   DEMO_RATE      multiply every tenant's request rate by this (default 1)
 *   DEMO_MAX_ORDERS  keep the newest this many orders (default 10000): the rest are deleted every 10 s, so the
 *                  embedded database, which lives in this process's memory, stays bounded however long it runs
 *   DATABASE_URL   use this PostgreSQL server instead of the embedded one
 *
 * This file is the demo's edge: the only one that reads the environment (createCollector reads the OTEL_* ones).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createCollector, type Collector, type ExporterName } from '../src/index.js';
import { createDemoApp, DEMO_OPERATIONS } from './demo-app.js';
import { DEFAULT_MAX_ORDERS, openEmbeddedOrders, openServerOrders, type OrderStore } from './orders.js';
import { demoTenants, TrafficGenerator } from './traffic.js';

interface DemoConfig {
  port: number;
  seconds: number;
  exportIntervalMillis: number;
  rateScale: number;
  maxOrders: number;
  databaseUrl: string | undefined;
  /** The OTLP endpoint the collector reads from the environment, if any. */
  otlpEndpoint: string | undefined;
  /** OTLP when an endpoint is set, else the console; undefined when OTEL_METRICS_EXPORTER chooses (createCollector reads it). */
  exporters: ExporterName[] | undefined;
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
  const rateScale = Number(env.DEMO_RATE ?? 1);
  if (!Number.isFinite(rateScale) || rateScale <= 0) throw new RangeError(`DEMO_RATE must be a number above 0 (got ${env.DEMO_RATE})`);
  const maxOrders = Number(env.DEMO_MAX_ORDERS ?? DEFAULT_MAX_ORDERS);
  if (!Number.isSafeInteger(maxOrders) || maxOrders < 1)
    throw new RangeError(`DEMO_MAX_ORDERS must be an integer of 1 or more (got ${env.DEMO_MAX_ORDERS})`);
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  return {
    port,
    seconds,
    exportIntervalMillis: Math.round(exportSeconds * 1_000),
    rateScale,
    maxOrders,
    databaseUrl: env.DATABASE_URL || undefined,
    otlpEndpoint,
    exporters: env.OTEL_METRICS_EXPORTER ? undefined : otlpEndpoint === undefined ? ['console'] : ['otlp'],
  };
}

async function main(config: DemoConfig): Promise<void> {
  const collector = createCollector({
    serviceName: 'ringmeter-demo',
    exporters: config.exporters,
    otlp: { exportIntervalMillis: config.exportIntervalMillis },
  });
  let orders: OrderStore;
  try {
    orders =
      config.databaseUrl === undefined
        ? await openEmbeddedOrders(collector, config.maxOrders)
        : await openServerOrders(collector, config.databaseUrl, config.maxOrders);
  } catch (error) {
    await collector.shutdown().catch(() => {});
    throw new Error(`could not open the demo's database: ${(error as Error).message}`);
  }

  const app = createDemoApp(collector, orders);
  // Without createServer options, @hono/node-server serves over node:http.
  const server = serve({ fetch: app.fetch, port: config.port, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch(async (error: Error) => {
    await Promise.all([orders.close(), collector.shutdown().catch(() => {})]);
    throw new Error(`could not listen on port ${config.port}: ${error.message} (set PORT to another port, or 0 for any free one)`);
  });
  server.on('error', () => {});
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const tenants = demoTenants(config.seconds > 0 ? Math.max(1, Math.round(config.seconds / 3)) : 30);
  const traffic = new TrafficGenerator(base, tenants, config.rateScale);
  let printer: NodeJS.Timeout | undefined;
  const pruner = new OrderPruner(orders);
  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      console.log(`\n${why}: stopping the traffic, then the collector (final export)…`);
      clearInterval(printer);
      await pruner.stop();
      await traffic.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await orders.close();
      await collector.shutdown().catch((error: Error) => console.error(`final export failed: ${error.message}`));
      printPipeline(collector);
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
    config,
    tenants.map(({ tenant, pattern }) => `${tenant} (${pattern})`),
  );
  traffic.start();
  pruner.start();
  printer = setInterval(() => printPipeline(collector), config.exportIntervalMillis);

  if (config.seconds > 0) setTimeout(() => void stop(`${config.seconds} s (DEMO_SECONDS) are up`), config.seconds * 1_000);
}

function printBanner(base: string, orders: OrderStore, config: DemoConfig, tenants: string[]): void {
  console.log(
    [
      'ringmeter demo',
      `  API               ${base}/`,
      `  try               ${base}/api/orders?tenant=acme   ${base}/api/reports/monthly?tenant=stark`,
      `  dashboard         ${base}${DEMO_OPERATIONS.dashboard}   (live, every 2 s)`,
      `  tenants           ${base}${DEMO_OPERATIONS.tenants}   ${base}${DEMO_OPERATIONS.tenants}/acme`,
      `  endpoints         ${base}${DEMO_OPERATIONS.endpoints}`,
      `  database          ${base}${DEMO_OPERATIONS.database}   (analytics: from this machine only)`,
      `  health            ${base}${DEMO_OPERATIONS.health}`,
      `  prometheus        ${base}${DEMO_OPERATIONS.metrics}`,
      `  stored in         ${orders.description}, the newest ${orders.maxOrders} orders kept`,
      `  metrics to        ${metricsDestination(config)}`,
      `  traffic from      ${tenants.join(', ')}`,
      `  runs              ${config.seconds > 0 ? `${config.seconds} s (DEMO_SECONDS)` : 'until Ctrl+C'}`,
    ].join('\n'),
  );
}

function metricsDestination({ exporters, otlpEndpoint }: DemoConfig): string {
  if (exporters === undefined) return 'the exporters of OTEL_METRICS_EXPORTER';
  return otlpEndpoint ?? 'the console, every interval (set OTEL_EXPORTER_OTLP_ENDPOINT for SigNoz)';
}

/** How often the store deletes all but its newest orders. */
const PRUNE_INTERVAL_MILLIS = 10_000;

/**
 * Keeps the store at its newest `maxOrders` orders, every PRUNE_INTERVAL_MILLIS: one prune at a time (a slow one
 * delays the next rather than overlapping it), and a failure is said on stderr and tried again next time.
 */
class OrderPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly orders: OrderStore) {}

  start(): void {
    this.timer = setTimeout(() => this.prune(), PRUNE_INTERVAL_MILLIS);
  }

  /** Stops pruning; resolves once a prune under way has ended (the store may then be closed). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private prune(): void {
    this.running = this.orders
      .prune()
      .then(
        () => {},
        (error: Error) => console.error(`ringmeter demo: pruning old orders failed: ${error.message}`),
      )
      .finally(() => {
        if (!this.stopped) this.timer = setTimeout(() => this.prune(), PRUNE_INTERVAL_MILLIS);
      });
  }
}

/** The pipeline's own state, once per interval; the console exporter prints the traffic itself. */
function printPipeline(collector: Collector): void {
  const { ring, export: exports, workers } = collector.stats();
  // Export counts are the OTLP exporter's: the console exporter has no backend to succeed or fail with.
  const otlp = collector.options.exporters.includes('otlp')
    ? `exports: ${exports.succeeded} ok, ${exports.failed} failed${exports.lastError ? ` (last: ${exports.lastError})` : ''}; `
    : '';
  console.log(
    `${new Date().toISOString()}  ring: ${ring.written} written, ${ring.dropped} dropped; ${otlp}` +
      `workers: ${workers.running}/${workers.count} running, ${workers.restarts} restarts`,
  );
}

await main(readConfig(process.env)).catch((error: Error) => {
  console.error(`ringmeter demo: ${error.message}`);
  process.exitCode = 1;
});
