import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import type { OtlpReceiver, ReceivedPoint } from './support/otlp-receiver.js';
import { pointsNamed, startPipeline, total } from './support/harness.js';

const TENANTS = 500;
const ROUTES = 20;
const STATUSES = [200, 201, 404, 500, 503];
const METHODS = ['GET', 'POST'];
/** 500 tenants × 20 routes × 5 statuses × 2 methods. */
const COMBINATIONS = TENANTS * ROUTES * STATUSES.length * METHODS.length;

/** A deterministic pseudo-random combination per call: 200,000 draws hit ~86,000 of the 100,000. */
function combination(state: number): number {
  return (Math.imul(state, 2_654_435_761) >>> 0) % COMBINATIONS;
}

function labels(c: number) {
  return {
    tenantId: `tenant-${c % TENANTS}`,
    route: `/r${Math.floor(c / TENANTS) % ROUTES}`,
    statusCode: STATUSES[Math.floor(c / (TENANTS * ROUTES)) % STATUSES.length],
    method: METHODS[Math.floor(c / (TENANTS * ROUTES * STATUSES.length))],
  };
}

function seriesKey(method: unknown, route: unknown, status: unknown, tenant: unknown): string {
  return `${method} ${route} ${status} ${tenant}`;
}

/**
 * Every call is counted once: in its own series, or in an overflow series (`__overflow__`'s, when the worker's bound
 * folded its tenant or series, or the fold's series bound was reached when it came; or the store's
 * otel.metric.overflow series). So no series under its own labels has more than its calls, and all of them and the
 * overflow series together have exactly the calls. Returns how many own series were complete, and how many had part
 * of their calls in an overflow series.
 */
function checkRequests(points: ReceivedPoint[], expected: Map<string, number>, calls: number): { exact: number; partial: number } {
  const mismatches: string[] = [];
  let exact = 0;
  let partial = 0;
  for (const point of pointsNamed(points, 'http_requests_total')) {
    const { method, route, status_code: status, tenant_id: tenant } = point.attributes;
    if (point.attributes['otel.metric.overflow'] === true || tenant === '__overflow__') continue;
    const want = expected.get(seriesKey(method, route, status, tenant)) ?? 0;
    const value = point.value as number;
    if (value === want) exact++;
    else if (value < want) partial++;
    else mismatches.push(`${seriesKey(method, route, status, tenant)}: ${value} > ${want}`);
  }
  expect(mismatches.slice(0, 10)).toEqual([]);
  expect(total(points, 'http_requests_total')).toBe(calls);
  return { exact, partial };
}

describe('bursts far beyond the ring, at default options: folded per series, nothing dropped', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('200,000 synchronous calls over ~86,000 series (500 tenants × 20 routes × 5 statuses × 2 methods): exact in 20 consecutive runs', async () => {
    ({ collector, receiver } = await startPipeline({ otlp: { timeoutMillis: 60_000 } }));
    const calls = 200_000;
    let dropped = 0;
    for (let run = 0; run < 20; run++) {
      receiver.clear();
      const expected = new Map<string, number>();
      for (let i = 0; i < calls; i++) {
        const c = labels(combination(run * calls + i + 1));
        collector.recordHttp({ ...c, durationSeconds: (i % 1_000) / 400, requestBytes: i % 3_000, responseBytes: 512 });
        const key = seriesKey(c.method, c.route, c.statusCode, c.tenantId);
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      dropped += collector.stats().ring.dropped;
      await collector.flush({ timeoutMillis: 60_000 });
      const { exact, partial } = checkRequests(receiver.points, expected, calls);
      console.log(`run ${run}: ${exact} own series exact, ${partial} partly in overflow series; ${JSON.stringify(collector.stats().ring)}`);
      expect(pointsNamed(receiver.points, 'http_request_duration_seconds').reduce((sum, p) => sum + (p.count as number), 0)).toBe(calls);
      expect(pointsNamed(receiver.points, 'http_request_size_bytes').reduce((sum, p) => sum + (p.count as number), 0)).toBe(calls);
      expect(total(receiver.points, 'ringmeter.records.dropped')).toBe(0);
    }
    expect(dropped).toBe(0);
    expect(collector.stats().ring).toMatchObject({ dropped: 0, used: 0, overflowRecords: 0 });
  }, 600_000);

  it('5,000,000 synchronous calls over 100,000 series: totals exact per metric, no own series over its calls, the rest in overflow series; memory within the bound plus a fixed overhead', async () => {
    ({ collector, receiver } = await startPipeline({ otlp: { timeoutMillis: 60_000 } }));
    await collector.flush();
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const calls = 5_000_000;
    let rssPeak = rssBefore;
    const expected = new Map<string, number>();
    let requestBytes = 0;
    for (let i = 0; i < calls; i++) {
      const c = labels(i % COMBINATIONS);
      collector.recordHttp({ ...c, durationSeconds: (i % 997) / 300, requestBytes: i % 5_000, responseBytes: 100 });
      requestBytes += i % 5_000;
      if (i < COMBINATIONS) expected.set(seriesKey(c.method, c.route, c.statusCode, c.tenantId), calls / COMBINATIONS);
      if (i % 500_000 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    const burst = collector.stats().ring;
    expect(burst).toMatchObject({ dropped: 0 });
    expect(burst.written + burst.spilled).toBe(calls);
    expect(burst.foldedToOverflow).toBeGreaterThan(0);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

    await collector.flush({ timeoutMillis: 120_000 });
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const { exact, partial } = checkRequests(receiver.points, expected, calls);
    // The worker's state holds some of the 100,000 series, the fold block the first ~37,000 it meets (its bound at
    // 10 MiB): a series held by the worker but met by the fold only past its bound has that part of its calls in
    // `__overflow__`'s series (docs/architecture.md, "The fold": two bounds, decided apart).
    expect(exact + partial).toBeGreaterThan(0);
    const durations = pointsNamed(receiver.points, 'http_request_duration_seconds');
    expect(durations.reduce((sum, p) => sum + (p.count as number), 0)).toBe(calls);
    const requestSizes = pointsNamed(receiver.points, 'http_request_size_bytes');
    expect(requestSizes.reduce((sum, p) => sum + (p.sum as number), 0)).toBe(requestBytes);
    expect(total(receiver.points, 'ringmeter.records.dropped')).toBe(0);
    // The bound (10 MiB) twice over at most (the fold's blocks and the worker's state grow side by side during a
    // cold burst: docs/architecture.md, "The fold"), plus the fixed overhead the memory-bound test measured for the
    // worker's exports (40 MiB).
    const grownMiB = (rssPeak - rssBefore) / 2 ** 20;
    console.log(
      `5M burst: rss grew ${grownMiB.toFixed(1)} MiB; own series exact ${exact}, partial ${partial}; folded ${burst.folded}, to overflow ${burst.foldedToOverflow}`,
    );
    expect(grownMiB).toBeLessThanOrEqual(2 * 10 + 40);
  }, 600_000);
});
