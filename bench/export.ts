/**
 * What an export costs the worker: one flush() of 10,000 and of 100,000 request series (tenants × 20 routes, each
 * series one request, so each has a request counter, a duration histogram and its tenant's derived series), over
 * OTLP/HTTP with gzip in batches of 512 data points, in http/protobuf and in http/json.
 *
 * The figure is the CPU the worker thread ran during the flush, per data point exported: read from Linux's per-thread
 * schedstat (bench/lib/thread-cpu.ts: the busiest thread other than the main one is ringmeter's worker), so neither the
 * receiver's decoding (main thread) nor the wait for a core on this shared machine is in it. The records are drained
 * before the flush starts, so the figure is collection, encoding, gzip and sending, not aggregation. gzip runs on
 * libuv's pool threads (zlib's async API): reported apart, as the other threads' CPU. Wall time is shown for context.
 */
import { createCollector } from '../src/index.js';
import { median, round } from './lib/rounds.js';
import { recordGrid, ringDrained } from './lib/ring-grid.js';
import { CountingReceiver } from './lib/receiver.js';
import { saveSection } from './lib/results.js';
import { busiestOtherThreadNanos, threadsCpuNanos } from './lib/thread-cpu.js';

const ROUTES = 20;

export interface ExportRow {
  series: number;
  protocol: 'http/protobuf' | 'http/json';
  dataPoints: number;
  requests: number;
  wireKiB: number;
  /** Median over the rounds: the worker thread's CPU per data point exported. */
  workerMicrosPerPoint: number;
  /** Median: the CPU of every other thread but the main one (gzip on libuv's pool, V8 helpers), per data point. */
  otherThreadsMicrosPerPoint: number;
  medianWallMillis: number;
  rounds: number;
}

async function measure(series: number, protocol: ExportRow['protocol'], rounds: number): Promise<ExportRow> {
  const receiver = new CountingReceiver();
  const endpoint = await receiver.start();
  const tenants = Array.from({ length: series / ROUTES }, (_, i) => `tenant-${i}`);
  const routes = Array.from({ length: ROUTES }, (_, i) => `/api/r${i}/:id`);
  const collector = createCollector({
    env: {},
    otlp: { endpoint, protocol, exportIntervalMillis: 3_600_000, timeoutMillis: 120_000 },
    metrics: { runtime: false },
    maxMemoryBytes: 1 << 30,
    maxTenants: Math.max(10_000, tenants.length + 10),
    maxSeries: 1_000_000,
  });
  const worker: number[] = [];
  const others: number[] = [];
  const walls: number[] = [];
  let dataPoints = 0;
  let requests = 0;
  let bytes = 0;
  try {
    // Round 0 warms up (series made, strings decoded, code optimised) and is not counted.
    for (let round = 0; round <= rounds; round++) {
      recordGrid(collector, tenants, routes);
      // Drained first: the flush then measures the export, not the aggregation of the records.
      await ringDrained(collector, 20);
      const before = { points: receiver.points, requests: receiver.requests, bytes: receiver.bytes };
      const threadsBefore = threadsCpuNanos();
      const started = performance.now();
      await collector.flush({ timeoutMillis: 300_000 });
      const wall = performance.now() - started;
      const threadsAfter = threadsCpuNanos();
      dataPoints = receiver.points - before.points;
      requests = receiver.requests - before.requests;
      bytes = receiver.bytes - before.bytes;
      if (round === 0) continue;
      const workerNanos = busiestOtherThreadNanos(threadsBefore, threadsAfter);
      let allOthers = 0;
      for (const [tid, nanos] of threadsAfter) if (tid !== String(process.pid)) allOthers += nanos - (threadsBefore.get(tid) ?? 0);
      worker.push(workerNanos / 1000 / dataPoints);
      others.push((allOthers - workerNanos) / 1000 / dataPoints);
      walls.push(wall);
    }
  } finally {
    await collector.shutdown().catch(() => {});
    await receiver.stop();
  }
  return {
    series,
    protocol,
    dataPoints,
    requests,
    wireKiB: round(bytes / 1024),
    workerMicrosPerPoint: round(median(worker)),
    otherThreadsMicrosPerPoint: round(median(others)),
    medianWallMillis: round(median(walls)),
    rounds,
  };
}

export async function run(options: { quick?: boolean } = {}): Promise<ExportRow[]> {
  const rows: ExportRow[] = [];
  for (const series of options.quick ? [10_000] : [10_000, 100_000])
    for (const protocol of ['http/protobuf', 'http/json'] as const)
      rows.push(await measure(series, protocol, options.quick ? 2 : series >= 100_000 ? 3 : 5));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run({ quick: process.env.BENCH_QUICK === '1' });
  console.log('\nExport: the worker thread CPU per data point exported (median of the rounds), gzip threads apart\n');
  console.log('| series | protocol | data points | requests | gzip KiB | worker µs/point | other threads µs/point | wall ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.series} | ${r.protocol} | ${r.dataPoints} | ${r.requests} | ${r.wireKiB} | ${r.workerMicrosPerPoint} | ${r.otherThreadsMicrosPerPoint} | ${r.medianWallMillis} |`,
    );
  saveSection('export', rows);
}
