import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, createCollector } from 'ringmeter';
import { internals } from 'ringmeter/internal';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { drained, pointsNamed, startPipeline, total } from './support/harness.js';

const TENANTS = 1_000;
const ROUTES = 10;
/** One duration inside each of the 15 buckets of http_request_duration_seconds (14 bounds, then +Inf). */
const DURATIONS = [0.001, 0.007, 0.02, 0.03, 0.06, 0.09, 0.2, 0.4, 0.6, 0.9, 2, 4, 6, 9, 20];

describe('the overflow, end to end', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  /** A collector as createCollector makes it (no test hooks), exporting to a receiver of its own. */
  async function plainPipeline(): Promise<{ collector: Collector; receiver: OtlpReceiver }> {
    const receiver = await new OtlpReceiver().start();
    const options = { serviceName: 'ringmeter-test', env: {}, metrics: { runtime: false } };
    return { receiver, collector: createCollector({ ...options, otlp: { endpoint: receiver.url, exportIntervalMillis: 3_600_000 } }) };
  }

  /**
   * A worker held back while `calls` records of 7 tenants go past a 1,024-record ring, then killed, then a flush by
   * its replacement; returns the ring's counts as they stood before the kill.
   */
  async function crashWithUnread(calls: number, durationSeconds: (i: number) => number) {
    ({ collector, receiver } = await startPipeline({ ringCapacity: 1_024 }));
    await internals(collector).testHooks.pauseWorkers(true);
    for (let i = 0; i < calls; i++) {
      collector.recordHttp({ method: 'GET', route: '/r', statusCode: 200, tenantId: `t${i % 7}`, durationSeconds: durationSeconds(i) });
    }
    const held = collector.stats().ring;
    await internals(collector).testHooks.killWorker();
    await collector.flush();
    return held;
  }

  it('1,000,000 synchronous records over 10,000 series from the first microsecond: exact per series and bucket, none dropped', async () => {
    // Default maxMemoryBytes: the whole burst arrives before the worker has started (~0.5 s); beyond the ring and
    // its raw segments it is folded per series.
    ({ collector, receiver } = await plainPipeline());
    const calls = 1_000_000;
    const tenants = Array.from({ length: TENANTS }, (_, t) => `tenant-${t}`);
    const routes = Array.from({ length: ROUTES }, (_, r) => `/r${r}`);
    // Series (tenant t, route r) gets the records t + 1000 r + 10000 k, k = 0…99, the k-th in bucket k % 15.
    for (let i = 0; i < calls; i++) {
      collector.recordHttp({
        method: 'GET',
        route: routes[Math.floor(i / TENANTS) % ROUTES],
        statusCode: 200,
        tenantId: tenants[i % TENANTS],
        durationSeconds: DURATIONS[Math.floor(i / (TENANTS * ROUTES)) % DURATIONS.length],
      });
    }
    const burst = collector.stats().ring;
    expect(burst.dropped).toBe(0);
    expect(burst.written + burst.spilled).toBe(calls);
    expect(burst.spilled).toBeGreaterThan(0);
    expect(burst.folded).toBeGreaterThan(0);
    expect(burst.foldedToOverflow).toBe(0);

    await collector.flush({ timeoutMillis: 30_000 });
    // At the default bound the worker's state (1,000 tenant profiles, 10,000 tenant × route cells, the series) does
    // not hold all 10,000 duration series: those it holds are exact, each one it could not add went whole (100
    // records) to the metric's overflow series; nothing is dropped and every bucket's total is exact.
    const durations = pointsNamed(receiver.points, 'http_request_duration_seconds');
    const expectedBuckets = DURATIONS.map((_, bucket) => (bucket < 100 % DURATIONS.length ? 7 : 6));
    const series = new Set<string>();
    const bucketTotals = DURATIONS.map(() => 0);
    let overflowed = 0;
    for (const point of durations) {
      for (const [bucket, count] of (point.bucketCounts as number[]).entries()) bucketTotals[bucket] += count;
      if (point.attributes['otel.metric.overflow'] === true) {
        overflowed += point.count as number;
        continue;
      }
      series.add(`${point.attributes.tenant_id} ${point.attributes.route}`);
      expect(point.count).toBe(100);
      expect(point.bucketCounts).toEqual(expectedBuckets);
    }
    expect(series.size + overflowed / 100).toBe(TENANTS * ROUTES);
    expect(bucketTotals).toEqual(expectedBuckets.map((count) => count * TENANTS * ROUTES));
    expect(total(receiver.points, 'http_requests_total')).toBe(calls);
    expect(total(receiver.points, 'ringmeter.records.written') + total(receiver.points, 'ringmeter.records.spilled')).toBe(calls);
    expect(total(receiver.points, 'ringmeter.records.dropped')).toBe(0);
    expect(collector.stats().ring).toMatchObject({ used: 0, overflowRecords: 0, dropped: 0 });
  }, 60_000);

  it('1,000,000 synchronous records over 10,000 request series the worker holds: exact per series and bucket, none dropped', async () => {
    ({ collector, receiver } = await plainPipeline());
    const calls = 1_000_000;
    const statuses = [200, 201, 404, 500, 503];
    // 100 tenants × 20 routes × 5 statuses: record i has tenant i % 100, route (i / 100) % 20, status (i / 2,000) % 5,
    // and the duration of bucket (i / 10,000) % 15, so each request series gets 100 records, 6 or 7 per bucket.
    const tenants = Array.from({ length: 100 }, (_, t) => `tenant-${t}`);
    const routes = Array.from({ length: 20 }, (_, r) => `/r${r}`);
    for (let i = 0; i < calls; i++) {
      collector.recordHttp({
        method: 'GET',
        route: routes[Math.floor(i / 100) % 20],
        statusCode: statuses[Math.floor(i / 2_000) % 5],
        tenantId: tenants[i % 100],
        durationSeconds: DURATIONS[Math.floor(i / 10_000) % DURATIONS.length],
        requestBytes: i % 7,
        responseBytes: 100_000,
      });
    }
    const burst = collector.stats().ring;
    expect(burst).toMatchObject({ dropped: 0, foldedToOverflow: 0 });
    // The burst outruns the worker still starting (~0.5 s): past the ring and the raw segments (32,768 records) it folds.
    expect(burst.folded).toBeGreaterThan(0);

    await collector.flush({ timeoutMillis: 30_000 });
    const requests = pointsNamed(receiver.points, 'http_requests_total');
    expect(requests).toHaveLength(10_000);
    for (const point of requests) expect(point.value).toBe(100);
    const durations = pointsNamed(receiver.points, 'http_request_duration_seconds');
    expect(durations).toHaveLength(2_000);
    // A (tenant, route) duration series has 500 records: 5 × (the 100 of one status), bucket k % 15 for k = 0…99.
    const expectedBuckets = DURATIONS.map((_, bucket) => 5 * (bucket < 100 % DURATIONS.length ? 7 : 6));
    const expectedSum = expectedBuckets.reduce((sum, count, bucket) => sum + count * DURATIONS[bucket], 0);
    for (const point of durations) {
      expect(point.count).toBe(500);
      expect(point.bucketCounts).toEqual(expectedBuckets);
      expect(point.sum).toBeCloseTo(expectedSum, 6);
      expect(point.min).toBe(0.001);
      expect(point.max).toBe(20);
    }
    // Byte counts: the request sizes sum exactly (i % 7 over every record), the response sizes too.
    const requestSizes = pointsNamed(receiver.points, 'http_request_size_bytes');
    let requestBytes = 0;
    for (let i = 0; i < calls; i++) requestBytes += i % 7;
    expect(requestSizes.reduce((sum, point) => sum + (point.sum as number), 0)).toBe(requestBytes);
    expect(requestSizes.reduce((sum, point) => sum + (point.count as number), 0)).toBe(calls);
    const responseSizes = pointsNamed(receiver.points, 'http_response_size_bytes');
    expect(responseSizes.reduce((sum, point) => sum + (point.sum as number), 0)).toBe(100_000 * calls);
    expect(collector.stats().ring).toMatchObject({ used: 0, overflowRecords: 0, dropped: 0 });
  }, 60_000);

  it('pushed past its series bound: the fold sends new series to their overflow series, drops nothing, and holds memory within the bound', async () => {
    // This test is about the bound itself, so it sets a small one.
    const maxMemoryBytes = 4 * 1024 * 1024;
    ({ collector, receiver } = await startPipeline({ maxMemoryBytes }));
    await internals(collector).testHooks.pauseWorkers(true);
    const before = process.memoryUsage().arrayBuffers;
    const calls = 2_000_000;
    // 1,000 tenants × 50 routes: 50,000 series, more than a 4 MiB bound folds (~13,000).
    const tenants = Array.from({ length: 1_000 }, (_, t) => `t${t}`);
    const routes = Array.from({ length: 50 }, (_, r) => `/r${r}`);
    for (let i = 0; i < calls; i++) {
      const route = routes[Math.floor(i / 1_000) % 50];
      collector.recordHttp({ method: 'GET', route, statusCode: 200, tenantId: tenants[i % 1_000], durationSeconds: 0.01 });
    }
    const held = collector.stats().ring;
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(held).toMatchObject({ written: 16_384, dropped: 0 });
    expect(held.written + held.spilled).toBe(calls);
    expect(held.foldedToOverflow).toBeGreaterThan(0);
    expect(held.folded).toBeGreaterThan(held.foldedToOverflow);
    expect(held.overflowBytes).toBeLessThanOrEqual(maxMemoryBytes);
    expect(grown).toBeLessThanOrEqual(maxMemoryBytes);

    await internals(collector).testHooks.pauseWorkers(false);
    // Drained first, polled: the flush's deadline (otlp.timeoutMillis) is for its export, and reading two million
    // records on a loaded machine took most of it (load 13: the request then timed out).
    await drained(collector);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(calls);
    expect(total(receiver.points, 'ringmeter.records.dropped', { reason: 'ring_full' })).toBe(0);
    expect(total(receiver.points, 'ringmeter.records.spilled')).toBe(held.spilled);
  }, 60_000);

  it('survives a worker crash: segments the dead worker never read go to its replacement, nothing lost or doubled', async () => {
    const calls = 1_024 + 10_000;
    const held = await crashWithUnread(calls, () => 0.01);
    expect(held).toMatchObject({ written: 1_024, spilled: 10_000, dropped: 0 });
    expect(total(receiver.points, 'http_requests_total')).toBe(calls);
    expect(collector.stats().workers).toMatchObject({ restarts: 1, lostRecords: 0 });
    expect(collector.stats().ring).toMatchObject({ used: 0, overflowRecords: 0 });
  }, 30_000);

  it('survives a worker crash with fold blocks unread: the replacement merges them, nothing lost or doubled', async () => {
    const calls = 1_024 + 4 * 4_096 + 50_000;
    const held = await crashWithUnread(calls, (i) => (i % 30) / 10);
    expect(held).toMatchObject({ written: 1_024, spilled: calls - 1_024, folded: 50_000, dropped: 0 });
    expect(total(receiver.points, 'http_requests_total')).toBe(calls);
    const durations = pointsNamed(receiver.points, 'http_request_duration_seconds');
    expect(durations.reduce((sum, point) => sum + (point.count as number), 0)).toBe(calls);
    expect(collector.stats().workers).toMatchObject({ restarts: 1, lostRecords: 0 });
    expect(collector.stats().ring).toMatchObject({ used: 0, overflowRecords: 0 });
  }, 30_000);
});
