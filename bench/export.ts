/**
 * Time to export 10,000 series to a local receiver: one flush() after requests over 500 tenants × 20 routes
 * (10,000 request series and 10,000 duration histograms, plus the derived tenant series), over OTLP/HTTP with
 * gzip, in batches of 512 data points. Measured from the flush() call to its resolution.
 */
import { createCollector } from '../src/index.js';
import { median, round } from './lib/rounds.js';
import { CountingReceiver } from './lib/receiver.js';
import { saveSection } from './lib/results.js';

export interface ExportResult {
  series: number;
  dataPoints: number;
  requests: number;
  gzipBytes: number;
  medianMillis: number;
  minMillis: number;
  maxMillis: number;
}

export async function run(options: { rounds?: number; timeMillis?: number } = {}): Promise<ExportResult> {
  const receiver = new CountingReceiver();
  const endpoint = await receiver.start();
  const collector = createCollector({ env: {}, otlp: { endpoint, exportIntervalMillis: 3_600_000 }, maxMemoryBytes: 1 << 28 });
  const tenants = Array.from({ length: 500 }, (_, i) => `tenant-${i}`);
  const routes = Array.from({ length: 20 }, (_, i) => `/api/r${i}/:id`);
  const times: number[] = [];
  let dataPoints = 0;
  let requests = 0;
  let gzipBytes = 0;
  for (let round = 0; round < Math.max(3, options.rounds ?? 5); round++) {
    for (const tenantId of tenants)
      for (const route of routes)
        collector.recordHttp({
          method: 'GET',
          route,
          statusCode: 200,
          tenantId,
          durationSeconds: 0.02,
          requestBytes: 10,
          responseBytes: 100,
        });
    const before = { points: receiver.points, requests: receiver.requests, bytes: receiver.bytes };
    const started = performance.now();
    await collector.flush();
    times.push(performance.now() - started);
    dataPoints = receiver.points - before.points;
    requests = receiver.requests - before.requests;
    gzipBytes = receiver.bytes - before.bytes;
  }
  await collector.shutdown();
  await receiver.stop();
  return {
    series: tenants.length * routes.length,
    dataPoints,
    requests,
    gzipBytes,
    medianMillis: median(times),
    minMillis: Math.min(...times),
    maxMillis: Math.max(...times),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await run(quick ? { rounds: 3, timeMillis: 20 } : {});
  console.log(
    `\nExport of ${result.series} series (${result.dataPoints} data points in ${result.requests} requests, ${round(result.gzipBytes / 1024)} KiB gzip): ` +
      `median ${round(result.medianMillis)} ms (min ${round(result.minMillis)}, max ${round(result.maxMillis)})`,
  );
  saveSection('export', result);
}
