/**
 * The cost of one record call on the request path, against the floor (a raw typed-array record write) and the
 * peers' equivalent calls: prom-client `observe` with 4 labels and OpenTelemetry `histogram.record` with
 * 4 attributes; and the two overflow paths with the ring full: the raw segment (the record kept as it is) and
 * the fold (beyond the raw segments: the record added to its series' accumulator). Also: main-thread heap growth
 * per record.
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { createCollector, type Collector } from '../src/index.js';
import { createTestCollector, internals } from '../src/internal.js';
import { CountingReceiver } from './lib/receiver.js';
import { compareInRounds, printComparison, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';
import { MAX_RAW_SEGMENTS, SPILL_SEGMENT_RECORDS } from '../src/ring/spill.js';

const BATCH = 1_000;
const tenants = Array.from({ length: 1_000 }, (_, i) => `tenant-${i}`);
const routes = Array.from({ length: 20 }, (_, i) => `/api/r${i}/:id`);
const statuses = [200, 201, 404, 500, 503];
let cursor = 0;

/** A reader that never exports: the SDK aggregates as it would in production, nothing is sent. */
class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export async function run(
  options: { rounds?: number; timeMillis?: number } = {},
): Promise<{ comparison: Comparison; heapBytesPerRecord: number; droppedWhileTimed: number; dropped: number }> {
  const receiver = new CountingReceiver();
  const endpoint = await receiver.start();
  const collector = createCollector({
    env: {},
    // The flush after the timed batches exports every series of millions of records at once: on a slow VM that took
    // longer than the default 10 s (2026-12-03 17:13, and the shutdown's export at 17:35), and this benchmark
    // measures the record call, not the export.
    otlp: { endpoint, exportIntervalMillis: 3_600_000, timeoutMillis: 60_000 },
    shutdownTimeoutMillis: 60_000,
    ringCapacity: 1 << 20,
    maxMemoryBytes: 1 << 28,
  });
  // Intern every label once, as a warmed-up service would have.
  for (const tenantId of tenants)
    for (const route of routes) collector.recordHttp({ method: 'GET', route, statusCode: 200, tenantId, durationSeconds: 0.01 });

  // A ring of 16 whose worker is paused: every timed call takes the overflow path (spill.ts).
  const overflowing = createTestCollector({
    env: {},
    // Its flushes in keepOverflowing export up to 2 M records' series at once: under a load average of 16 on 2 cores
    // (2026-12-07 21:07) one took longer than the default 10 s and failed the whole benchmark.
    otlp: { endpoint, exportIntervalMillis: 3_600_000, timeoutMillis: 60_000 },
    shutdownTimeoutMillis: 60_000,
    ringCapacity: 16,
    maxMemoryBytes: 1 << 27,
  });
  for (const tenantId of tenants)
    for (const route of routes) overflowing.recordHttp({ method: 'GET', route, statusCode: 200, tenantId, durationSeconds: 0.01 });
  await overflowing.flush();
  await internals(overflowing).testHooks.pauseWorkers(true);

  // A ring of 16 whose worker is paused, at the default bound, its raw segments kept full: every timed call folds.
  const folding = createTestCollector({
    env: {},
    otlp: { endpoint, exportIntervalMillis: 3_600_000, timeoutMillis: 60_000 },
    shutdownTimeoutMillis: 60_000,
    ringCapacity: 16,
  });
  for (const tenantId of tenants)
    for (const route of routes) folding.recordHttp({ method: 'GET', route, statusCode: 200, tenantId, durationSeconds: 0.01 });
  await folding.flush();
  await internals(folding).testHooks.pauseWorkers(true);

  const ring = new Uint32Array(new SharedArrayBuffer(1 << 20));
  const ringFloats = new Float64Array(ring.buffer);
  const header = new Int32Array(new SharedArrayBuffer(64));
  let floorIndex = 0;

  const registry = new client.Registry();
  const promHistogram = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'h',
    labelNames: ['method', 'route', 'status_code', 'tenant_id'],
    registers: [registry],
  });

  const provider = new MeterProvider({ readers: [new IdleReader()] });
  const otelHistogram = provider.getMeter('bench').createHistogram('http.server.request.duration', { unit: 's' });

  const comparison = await compareInRounds({
    title: 'Record call on the request path',
    baseline: 'typed-array record write (floor)',
    rounds: options.rounds,
    timeMillis: options.timeMillis,
    variants: [
      {
        name: 'typed-array record write (floor)',
        operationsPerRun: BATCH,
        run: () => {
          for (let i = 0; i < BATCH; i++) {
            const at = (floorIndex & 32_767) * 8;
            ring[at] = 0x00c8_0101;
            ring[at + 1] = i;
            ring[at + 2] = i;
            ring[at + 3] = 0;
            ringFloats[(at >> 1) + 2] = 0.01;
            ring[at + 6] = 100;
            ring[at + 7] = 1_000;
            floorIndex = (floorIndex + 1) | 0;
            Atomics.store(header, 0, floorIndex);
          }
        },
      },
      {
        name: 'ringmeter recordHttp',
        operationsPerRun: BATCH,
        // The caller outpaces one worker here (tens of millions of calls/s in a loop): without this untimed wait,
        // most timed calls would take the cheaper full-ring drop path instead of the write path.
        beforeEach: () => waitForRoom(collector, BATCH),
        run: () => recordBatch(collector),
      },
      {
        name: 'ringmeter recordHttp, ring full (raw segment path)',
        operationsPerRun: BATCH,
        beforeEach: () => keepOverflowing(overflowing, BATCH),
        run: () => recordBatch(overflowing),
      },
      {
        name: 'ringmeter recordHttp, ring and segments full (fold path)',
        operationsPerRun: BATCH,
        beforeEach: () => keepFolding(folding),
        run: () => recordBatch(folding),
      },
      {
        name: 'prom-client observe (4 labels)',
        operationsPerRun: BATCH,
        run: () => {
          for (let i = 0; i < BATCH; i++) {
            const n = cursor++;
            promHistogram.observe(
              { method: 'GET', route: routes[n % 20], status_code: statuses[n % 5], tenant_id: tenants[n % 1_000] },
              0.012,
            );
          }
        },
      },
      {
        name: 'OTel histogram.record (4 attributes)',
        operationsPerRun: BATCH,
        run: () => {
          for (let i = 0; i < BATCH; i++) {
            const n = cursor++;
            otelHistogram.record(0.012, {
              'http.request.method': 'GET',
              'http.route': routes[n % 20],
              'http.response.status_code': statuses[n % 5],
              tenant_id: tenants[n % 1_000],
            });
          }
        },
      },
    ],
  });

  const droppedWhileTimed = collector.stats().ring.dropped + overflowing.stats().ring.dropped + folding.stats().ring.dropped;
  await internals(overflowing).testHooks.pauseWorkers(false);
  await shutdownReporting('the overflowing collector', overflowing);
  await internals(folding).testHooks.pauseWorkers(false);
  await shutdownReporting('the folding collector', folding);

  // Heap growth per record: a million calls after a full GC; the ring is preallocated shared memory.
  const gc = (globalThis as { gc?: () => void }).gc;
  await collector.flush();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const calls = 1_000_000;
  for (let n = 0; n < calls; n++) {
    collector.recordHttp({
      method: 'GET',
      route: routes[n % 20],
      statusCode: statuses[n % 5],
      tenantId: tenants[n % 1_000],
      durationSeconds: 0.012,
    });
  }
  gc?.();
  const heapBytesPerRecord = (process.memoryUsage().heapUsed - before) / calls;
  const dropped = collector.stats().ring.dropped - droppedWhileTimed;
  await shutdownReporting('the collector', collector);
  await receiver.stop();
  await provider.shutdown();
  return { comparison, heapBytesPerRecord, droppedWhileTimed, dropped };
}

/**
 * Shuts a collector down, printing a failure instead of throwing: this benchmark measures the record call, and on
 * 2026-12-03 a shutdown with nothing left to export did not finish within its timeout three times in full runs
 * (docs/benchmarks.md), which must not cost the whole run.
 */
async function shutdownReporting(name: string, target: Collector): Promise<void> {
  const started = performance.now();
  try {
    await target.shutdown();
  } catch (error) {
    console.error(`record-call: shutdown of ${name} failed after ${Math.round(performance.now() - started)} ms: ${String(error)}`);
  }
}

/** One timed batch of recordHttp calls over the interned tenants and routes. */
function recordBatch(target: Collector): void {
  for (let i = 0; i < BATCH; i++) {
    const n = cursor++;
    target.recordHttp({
      method: 'GET',
      route: routes[n % 20],
      statusCode: statuses[n % 5],
      tenantId: tenants[n % 1_000],
      durationSeconds: 0.012,
      requestBytes: 100,
      responseBytes: 1_000,
    });
  }
}

/** Resolves once the ring has room for `records` more, yielding to the event loop while the worker drains. */
async function waitForRoom(collector: Collector, records: number): Promise<void> {
  for (let ring = collector.stats().ring; ring.capacity - ring.used < records; ring = collector.stats().ring) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Untimed, before a batch on the overflowing collector: keeps its ring full (so that every timed call overflows)
 * and, when the raw segments near their cap (MAX_RAW_SEGMENTS, 16,384 records), lets the worker read them, so that
 * every timed call takes the raw segment path (neither the fold nor the drop path).
 */
async function keepOverflowing(collector: Collector, records: number): Promise<void> {
  const hooks = internals(collector);
  if (collector.stats().ring.overflowRecords + records > (MAX_RAW_SEGMENTS - 1) * SPILL_SEGMENT_RECORDS) {
    await hooks.testHooks.pauseWorkers(false);
    await collector.flush();
    await hooks.testHooks.pauseWorkers(true);
  }
  for (let ring = collector.stats().ring; ring.used < ring.capacity; ring = collector.stats().ring) {
    collector.recordHttp({ method: 'GET', route: routes[0], statusCode: 200, tenantId: tenants[0], durationSeconds: 0.01 });
  }
}

/**
 * Untimed, before a batch on the folding collector: when its sealed fold blocks hold 256 KiB, lets the worker merge
 * them; after that (and at the start) fills its ring and raw segments again, so that every timed call folds.
 */
async function keepFolding(collector: Collector): Promise<void> {
  const hooks = internals(collector);
  const ring = collector.stats().ring;
  // Its worker's state holds the 20,000 warm-up series (most of the 7/8 it may use), so the fold's room is about the
  // last eighth: sealed blocks are merged once they hold 256 KiB, before a new block finds no room (the drop path).
  if (ring.folded > 0 && ring.overflowBytes < MAX_RAW_SEGMENTS * SPILL_SEGMENT_RECORDS * 32 + 256 * 1024) return;
  await hooks.testHooks.pauseWorkers(false);
  await collector.flush();
  await hooks.testHooks.pauseWorkers(true);
  const before = collector.stats().ring.folded;
  // The ring (16) and the raw segments, then one record more until the fold takes one.
  for (let i = 0; i < 16 + MAX_RAW_SEGMENTS * SPILL_SEGMENT_RECORDS; i++) {
    collector.recordHttp({ method: 'GET', route: routes[0], statusCode: 200, tenantId: tenants[i % 1_000], durationSeconds: 0.01 });
  }
  for (let i = 0; collector.stats().ring.folded === before; i++) {
    collector.recordHttp({ method: 'GET', route: routes[0], statusCode: 200, tenantId: tenants[i % 1_000], durationSeconds: 0.01 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await run(quick ? { rounds: 3, timeMillis: 20 } : {});
  printComparison(result.comparison);
  console.log(
    `main-thread heap growth: ${result.heapBytesPerRecord.toFixed(3)} bytes per record (after GC; ${(globalThis as { gc?: unknown }).gc ? 'gc exposed' : 'run with --expose-gc for an exact figure'})`,
  );
  console.log(`records dropped (ring full): ${result.droppedWhileTimed} while timing, ${result.dropped} during the heap run`);
  saveSection('record-call', result);
}
