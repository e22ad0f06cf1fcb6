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
import { threadCpuNanos } from './lib/thread-cpu.js';

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
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/**
 * The least main-thread CPU per request over `windows` windows of `count` requests, after a warm-up window and a
 * full GC. The least, because what disturbs a window on a shared machine (another process on the core's sibling
 * thread, cache pollution) only ever adds time.
 */
async function measure(count: number, windows: number): Promise<number> {
  await load.run(count);
  gc();
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < windows; i++) {
    const before = threadCpuNanos();
    const servedBefore = served;
    await load.run(count);
    const after = threadCpuNanos();
    if (before === undefined || after === undefined) throw new Error('thread CPU time is not readable here (Linux only)');
    if (served - servedBefore !== count) throw new Error(`${variant}: ${served - servedBefore} requests served of ${count}`);
    least = Math.min(least, (after - before) / count);
  }
  return least;
}

process.on('message', (message: { type: string; requests?: number; windows?: number }) => {
  if (message.type === 'measure') {
    measure(message.requests ?? 10_000, message.windows ?? 5).then(
      (nanosPerRequest) => process.send!({ type: 'measured', nanosPerRequest }),
      (error: unknown) => process.send!({ type: 'failed', error: String(error) }),
    );
  } else if (message.type === 'stop') {
    void (async () => {
      load.close();
      await collector?.shutdown();
      await receiver.stop();
      await close();
      process.send!({ type: 'stopped' }, () => process.exit(0));
    })();
  }
});
process.send!({ type: 'ready' });
