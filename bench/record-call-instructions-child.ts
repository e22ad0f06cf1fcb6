/**
 * One process of bench/record-call-instructions.ts, run under callgrind: `node record-call-instructions-child.js
 * <ringmeter|floor> <calls>`. Interns 1,000 tenants × 20 routes, pauses the worker (so that the ring only fills, and
 * the calling thread's count is the record call's), warms up, then makes `calls` calls between two marks (markPhase),
 * so that callgrind counts them apart from start-up and warm-up.
 */
import { getPriority } from 'node:os';
import { createTestCollector, internals } from '../src/internal.js';

const [mode, callsText] = process.argv.slice(2);
const calls = Number(callsText);
const WARM_UP_CALLS = 50_000;
const tenants = Array.from({ length: 1_000 }, (_, i) => `tenant-${i}`);
const routes = Array.from({ length: 20 }, (_, i) => `/api/r${i}/:id`);
const statuses = [200, 201, 404, 500, 503];

const collector = createTestCollector({
  env: {},
  exporters: ['none'],
  // Under valgrind everything runs ~50× slower: the default 10 s hang bound would restart the worker mid-run.
  workerHangMillis: 3_600_000,
  ringCapacity: 1 << 23,
  maxMemoryBytes: 1 << 28,
  // No runtime sampler: its 10 ms event-loop probe runs on wall-clock time, and under valgrind on a loaded machine a
  // phase of calls lasts minutes (2026-12-08 04:05, load average 16: ~1,200 instructions per call came from it).
  metrics: { runtime: false },
});
for (const tenantId of tenants)
  for (const route of routes) collector.recordHttp({ method: 'GET', route, statusCode: 200, tenantId, durationSeconds: 0.01 });
// A flush can time out under valgrind; the records are interned either way, which is all the calls below need.
await collector.flush().catch(() => {});
await internals(collector).testHooks.pauseWorkers(true);

const ring = new Uint32Array(new SharedArrayBuffer(1 << 20));
const ringFloats = new Float64Array(ring.buffer);
const header = new Int32Array(new SharedArrayBuffer(64));
let floorIndex = 0;

/** The same call as bench/record-call's timed batches. */
function recordCall(n: number): void {
  collector.recordHttp({
    method: 'GET',
    route: routes[n % 20],
    statusCode: statuses[n % 5],
    tenantId: tenants[n % 1_000],
    durationSeconds: 0.012,
    requestBytes: 100,
    responseBytes: 1_000,
  });
}

/** The floor: the same arguments picked, one 32-byte record stored and published with one Atomics.store. */
function floorCall(n: number): void {
  const at = (floorIndex & 32_767) * 8;
  const route = routes[n % 20];
  const tenant = tenants[n % 1_000];
  ring[at] = statuses[n % 5];
  ring[at + 1] = route.length;
  ring[at + 2] = tenant.length;
  ring[at + 3] = 0;
  ringFloats[(at >> 1) + 2] = 0.012;
  ring[at + 6] = 100;
  ring[at + 7] = 1_000;
  floorIndex = (floorIndex + 1) | 0;
  Atomics.store(header, 0, floorIndex);
}

/** Asks the OS for this process's priority: a call into libuv's uv_os_getpriority, which nothing else here makes. */
function markPhase(): void {
  if (Number.isNaN(getPriority())) throw new Error('unreachable');
}

const call = mode === 'floor' ? floorCall : recordCall;
for (let n = 0; n < WARM_UP_CALLS; n++) call(n);
// The marks: the parent's callgrind dumps its counts as each markPhase enters uv_os_getpriority, so
// the second dump holds the timed calls alone (start-up, interning and warm-up in the first).
markPhase();
for (let n = 0; n < calls; n++) call(n);
markPhase();
const { written, dropped } = collector.stats().ring;
console.log(JSON.stringify({ mode, calls, written, dropped }));
await internals(collector).testHooks.pauseWorkers(false);
await collector.shutdown().catch(() => {});
