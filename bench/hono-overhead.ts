/**
 * What each HTTP metrics middleware adds to a request, in-process (`app.request`), on the same ~20-route Hono
 * app with 1,000 tenants: the bare app, an empty async middleware (the floor of any middleware), ringmeter,
 * @hono/prometheus with a tenant label, @hono/otel, and a hand-written OpenTelemetry SDK middleware.
 * The added cost of a variant is its time minus the bare app's in the same round.
 */
import type { Hono } from 'hono';
import { createCollector } from '../src/index.js';
import { benchMiddleware, buildBenchApp, ROUTES, TENANTS, type MiddlewareVariant } from './lib/bench-app.js';
import { CountingReceiver } from './lib/receiver.js';
import { compareInRounds, printComparison, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';

const BATCH = 200;
const VARIANTS: MiddlewareVariant[] = ['bare', 'empty async middleware', 'ringmeter', '@hono/prometheus (tenant label)', '@hono/otel', 'OTel SDK by hand'];

export async function run(options: { rounds?: number; timeMillis?: number } = {}): Promise<Comparison> {
  const receiver = new CountingReceiver();
  const collector = createCollector({ env: {}, otlp: { endpoint: await receiver.start(), exportIntervalMillis: 3_600_000 }, metrics: { runtime: false } });
  const built = VARIANTS.map((variant) => ({ variant, ...benchMiddleware(variant, collector) }));
  const apps: Record<string, Hono> = Object.fromEntries(built.map(({ variant, middleware }) => [variant, buildBenchApp(middleware)]));
  let cursor = 0;
  const comparison = await compareInRounds({
    title: 'Hono middleware, in-process app.request (20 routes, 1,000 tenants)',
    baseline: 'bare',
    rounds: options.rounds,
    timeMillis: options.timeMillis ?? 500,
    variants: Object.entries(apps).map(([name, app]) => ({
      name,
      operationsPerRun: BATCH,
      run: async () => {
        for (let i = 0; i < BATCH; i++) {
          const n = cursor++;
          const response = await app.request(ROUTES[n % ROUTES.length].path, { headers: { 'x-tenant-id': TENANTS[n % TENANTS.length] } });
          if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
        }
      },
    })),
  });
  await collector.shutdown();
  await receiver.stop();
  for (const { close } of built) await close();
  return comparison;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const comparison = await run(quick ? { rounds: 3, timeMillis: 30 } : {});
  printComparison(comparison, 'µs');
  saveSection('hono-overhead', comparison);
}
