/**
 * One variant of node-server-overhead.ts in a process of its own: `node node-server-overhead-child.js <variant>`.
 * The app is served by @hono/node-server's adaptor server over in-memory connections (lib/memory-connections.ts).
 * The parent sends { type: 'measure', requests, windows }; the child answers { type: 'measured', nanosPerRequest }:
 * the main thread's CPU time per request (see `measure`). { type: 'stop' } exits.
 *
 * 'ringmeter (baseline build)' loads honoMetrics and createCollector from another build of ringmeter, named by
 * BENCH_BASELINE_BUILD (a dist directory, e.g. one built from main): an A/B of a request-path change in one run.
 */
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { createCollector, type Collector } from '../src/index.js';
import { BASELINE_BUILD_VARIANT, benchMiddleware, buildBenchApp, ROUTES, TENANTS, type MiddlewareVariant } from './lib/bench-app.js';
import { memoryConnections } from './lib/memory-connections.js';
import { CountingReceiver } from './lib/receiver.js';
import { serveCpuMeasurements } from './lib/cpu-child.js';

const CONNECTIONS = 32;

const variant = process.argv[2] as MiddlewareVariant | typeof BASELINE_BUILD_VARIANT;
const receiver = new CountingReceiver();
const collectorOptions = {
  env: {},
  otlp: { endpoint: await receiver.start(), exportIntervalMillis: 3_600_000 },
  metrics: { runtime: false },
};
let collector: Collector | undefined;
let middleware: MiddlewareHandler | undefined;
let close = async () => {};
if (variant === BASELINE_BUILD_VARIANT) {
  const build = process.env.BENCH_BASELINE_BUILD;
  if (build === undefined) throw new Error(`${variant} needs BENCH_BASELINE_BUILD (a dist directory)`);
  const core = (await import(`${build}/src/index.js`)) as { createCollector: typeof createCollector };
  const hono = (await import(`${build}/src/hono/index.js`)) as { honoMetrics: (c: Collector) => MiddlewareHandler };
  collector = core.createCollector(collectorOptions);
  middleware = hono.honoMetrics(collector);
} else {
  if (variant.startsWith('ringmeter') || variant === 'ring write only (reference)') collector = createCollector(collectorOptions);
  ({ middleware, close } = benchMiddleware(variant, collector));
}
let served = 0;
const app = buildBenchApp(middleware, () => {
  served++;
  return undefined;
});
// The adaptor's default server is node:http's (HTTP/2 only when asked for).
const server = createAdaptorServer({ fetch: app.fetch }) as Server;
const requests = TENANTS.map((tenant, i) => ({
  method: 'GET' as const,
  path: ROUTES[i % ROUTES.length].path,
  headers: { 'x-tenant-id': tenant },
}));
const load = memoryConnections(server, CONNECTIONS, requests);
serveCpuMeasurements(
  variant,
  load,
  () => served,
  async () => {
    await collector?.shutdown();
    await receiver.stop();
    await close();
  },
);
