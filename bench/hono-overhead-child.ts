/**
 * One variant of hono-overhead.ts in a process of its own: `node hono-overhead-child.js <variant>`.
 * The parent sends { type: 'measure', timeMillis }; the child answers { type: 'measured', nanosPerRequest }
 * (tinybench's median over batches of `app.request` calls). { type: 'stop' } closes everything and exits.
 *
 * Why a process per variant: in one shared process, every app runs through the same Hono dispatch code, so each
 * middleware's call sites turn polymorphic and the heaps of the peers that keep 20,000 series slow every
 * variant's garbage collection. A real service runs one middleware stack in its own heap, as here.
 */
import { createCollector, type Collector } from '../src/index.js';
import { benchMiddleware, buildBenchApp, ROUTES, TENANTS, type MiddlewareVariant } from './lib/bench-app.js';
import { CountingReceiver } from './lib/receiver.js';
import { timeLocally } from './lib/rounds.js';

const REQUESTS_PER_BATCH = 200;

const variant = process.argv[2] as MiddlewareVariant;
const receiver = new CountingReceiver();
let collector: Collector | undefined;
if (variant === 'ringmeter') {
  collector = createCollector({
    env: {},
    otlp: { endpoint: await receiver.start(), exportIntervalMillis: 3_600_000 },
    metrics: { runtime: false },
  });
}
const { middleware, close } = benchMiddleware(variant, collector);
const app = buildBenchApp(middleware);
let cursor = 0;

async function requestBatch(): Promise<void> {
  for (let i = 0; i < REQUESTS_PER_BATCH; i++) {
    const n = cursor++;
    const response = await app.request(ROUTES[n % ROUTES.length].path, { headers: { 'x-tenant-id': TENANTS[n % TENANTS.length] } });
    if (response.status !== 200) throw new Error(`${variant}: unexpected status ${response.status}`);
  }
}

process.on('message', (message: { type: string; timeMillis?: number }) => {
  if (message.type === 'measure') {
    const batch = { name: variant, run: requestBatch, operationsPerRun: REQUESTS_PER_BATCH };
    timeLocally(batch, message.timeMillis ?? 500, 'hono-overhead').then(
      (nanosPerRequest) => process.send!({ type: 'measured', nanosPerRequest }),
      (error: unknown) => process.send!({ type: 'failed', error: String(error) }),
    );
  } else if (message.type === 'stop') {
    void (async () => {
      await collector?.shutdown();
      await receiver.stop();
      await close();
      process.send!({ type: 'stopped' }, () => process.exit(0));
    })();
  }
});
process.send!({ type: 'ready' });
