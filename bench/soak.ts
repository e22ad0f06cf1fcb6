/**
 * `npm run soak`: a bounded soak (SOAK_SECONDS, default 120) that alternates normal traffic, backend outages and
 * floods (a worker throttled far below the arrival rate) under a steady stream of Hono requests, then checks the
 * promise end to end: every request is either exported exactly once (from the ring or its overflow) or counted as
 * dropped; nothing is lost,
 * nothing is duplicated, nothing stays stuck. Exits non-zero on any mismatch. CI runs a 20-second version.
 */
import { Hono } from 'hono';
import { honoMetrics } from '../src/hono/index.js';
import { createTestCollector, internals } from '../src/internal.js';
import { CountingReceiver } from './lib/receiver.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 120);
const phaseMillis = (seconds * 1000) / 10;
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

const receiver = new CountingReceiver();
const endpoint = await receiver.start();
const port = Number(new URL(endpoint).port);
const collector = createTestCollector({
  env: {},
  metrics: { runtime: false },
  ringCapacity: 4_096,
  otlp: { endpoint, exportIntervalMillis: 500, timeoutMillis: 1_000 },
});
const app = new Hono();
app.use(honoMetrics(collector));
app.get('/orders/:id', (c) => c.json({ id: c.req.param('id') }));

let calls = 0;
let failedResponses = 0;
let running = true;
async function traffic(): Promise<void> {
  while (running) {
    const response = await app.request(`/orders/${calls}`, { headers: { 'x-tenant-id': `tenant-${calls % 100}` } });
    if (response.status !== 200) failedResponses++;
    calls++;
    // About 5,000 requests/s: yield to the event loop now and then, as a server would.
    if (calls % 50 === 0) await sleep(10);
  }
}

const phases: Array<[string, () => Promise<void>]> = [
  ['normal', async () => {}],
  ['backend down', () => receiver.stop()],
  [
    'backend up',
    async () => {
      await receiver.start(port);
    },
  ],
  ['flood (worker throttled to ~1,000 records/s)', () => internals(collector).testHooks.throttleWorkers(10)],
  ['recovery', () => internals(collector).testHooks.throttleWorkers(undefined)],
];

const started = Date.now();
const running$ = traffic();
for (let cycle = 0; cycle < 2; cycle++) {
  for (const [name, enter] of phases) {
    await enter();
    const stats = collector.stats();
    console.log(
      `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${name.padEnd(46)} calls ${calls}, written ${stats.ring.written}, spilled ${stats.ring.spilled}, dropped ${stats.ring.dropped}, exports ok ${stats.export.succeeded} / failed ${stats.export.failed}`,
    );
    await sleep(phaseMillis);
  }
}
running = false;
await running$;
await collector.flush();
const stats = collector.stats();
await collector.shutdown();
await receiver.stop();

const checks: Array<[string, boolean]> = [
  [`every response was 200 (${failedResponses} were not)`, failedResponses === 0],
  [
    `written ${stats.ring.written} + spilled ${stats.ring.spilled} + dropped ${stats.ring.dropped} = calls ${calls}`,
    stats.ring.written + stats.ring.spilled + stats.ring.dropped === calls,
  ],
  [
    `exported http_requests_total ${receiver.httpRequestsTotal} = written + spilled ${stats.ring.written + stats.ring.spilled}`,
    receiver.httpRequestsTotal === stats.ring.written + stats.ring.spilled,
  ],
  [`nothing lost in workers (${stats.workers.lostRecords})`, stats.workers.lostRecords === 0],
  [
    `the ring and its overflow are empty at the end (${stats.ring.used}, ${stats.ring.overflowRecords})`,
    stats.ring.used === 0 && stats.ring.overflowRecords === 0,
  ],
  // Drops happen only when a flood outgrows maxMemoryBytes, which a short soak may not reach: reported, not required.
  [
    `outages and floods happened (failed exports ${stats.export.failed}, spilled ${stats.ring.spilled}, drops ${stats.ring.dropped})`,
    stats.export.failed > 0 && stats.ring.spilled > 0,
  ],
];
console.log(`\nsoak: ${seconds} s, ${calls} requests`);
for (const [what, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
