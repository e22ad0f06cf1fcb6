import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, createCollector } from 'ringmeter';
import { internals } from 'ringmeter/internal';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { pointsNamed, startPipeline, total } from './support/harness.js';

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

  it('1,000,000 synchronous records over 10,000 series from the first microsecond: exact per series and bucket, none dropped', async () => {
    receiver = await new OtlpReceiver().start();
    collector = createCollector({
      serviceName: 'ringmeter-test',
      env: {},
      // "While memory lasts": the whole burst may arrive before the worker has started (~0.5 s).
      maxMemoryBytes: 64 * 1024 * 1024,
      metrics: { runtime: false },
      otlp: { endpoint: receiver.url, exportIntervalMillis: 3_600_000 },
    });
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

    await collector.flush({ timeoutMillis: 30_000 });
    const durations = pointsNamed(receiver.points, 'http_request_duration_seconds');
    expect(durations).toHaveLength(TENANTS * ROUTES);
    const expectedBuckets = DURATIONS.map((_, bucket) => (bucket < 100 % DURATIONS.length ? 7 : 6));
    const series = new Set<string>();
    for (const point of durations) {
      series.add(`${point.attributes.tenant_id} ${point.attributes.route}`);
      expect(point.count).toBe(100);
      expect(point.bucketCounts).toEqual(expectedBuckets);
    }
    expect(series.size).toBe(TENANTS * ROUTES);
    expect(total(receiver.points, 'http_requests_total')).toBe(calls);
    expect(total(receiver.points, 'ringmeter.records.written') + total(receiver.points, 'ringmeter.records.spilled')).toBe(calls);
    expect(total(receiver.points, 'ringmeter.records.dropped')).toBe(0);
    expect(collector.stats().ring).toMatchObject({ used: 0, overflowRecords: 0, dropped: 0 });
  }, 60_000);

  it('pushed past the memory bound: written + spilled + dropped = calls, and the memory it holds stays within the bound', async () => {
    const maxMemoryBytes = 4 * 1024 * 1024;
    ({ collector, receiver } = await startPipeline({ maxMemoryBytes }));
    await internals(collector).testHooks.pauseWorkers(true);
    const before = process.memoryUsage().arrayBuffers;
    const calls = 2_000_000;
    for (let i = 0; i < calls; i++) {
      collector.recordHttp({ method: 'GET', route: '/r', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
    }
    const held = collector.stats().ring;
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(held.written + held.spilled + held.dropped).toBe(calls);
    expect(held.written).toBe(16_384);
    expect(held.overflowBytes).toBeLessThanOrEqual(maxMemoryBytes);
    expect(held.spilled).toBe((held.overflowBytes / 32) | 0);
    expect(grown).toBeLessThanOrEqual(maxMemoryBytes);

    await internals(collector).testHooks.pauseWorkers(false);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(held.written + held.spilled);
    expect(total(receiver.points, 'ringmeter.records.dropped', { reason: 'ring_full' })).toBe(held.dropped);
  }, 60_000);

  it('survives a worker crash: segments the dead worker never read go to its replacement, nothing lost or doubled', async () => {
    ({ collector, receiver } = await startPipeline({ ringCapacity: 1_024 }));
    await internals(collector).testHooks.pauseWorkers(true);
    const calls = 1_024 + 10_000;
    for (let i = 0; i < calls; i++) {
      collector.recordHttp({ method: 'GET', route: '/r', statusCode: 200, tenantId: `t${i % 7}`, durationSeconds: 0.01 });
    }
    expect(collector.stats().ring).toMatchObject({ written: 1_024, spilled: 10_000, dropped: 0 });
    await internals(collector).testHooks.killWorker();
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(calls);
    expect(collector.stats().workers).toMatchObject({ restarts: 1, lostRecords: 0 });
    expect(collector.stats().ring).toMatchObject({ used: 0, overflowRecords: 0 });
  }, 30_000);
});
