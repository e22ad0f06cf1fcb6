import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { METRICS } from 'ringmeter';
import type { OtlpReceiver, ReceivedPoint } from './support/otlp-receiver.js';
import { labelKey, pointsNamed, startPipeline } from './support/harness.js';

const TENANTS = 1_000;
const ROUTES = 20;
const STATUSES = [200, 201, 404, 500, 503];
const CALLS = 1_000_000;
const BOUNDS = METRICS.httpDuration.boundaries;

/** Call i's labels and duration; every (tenant, route, status) gets CALLS / 100,000 = 10 calls. */
function call(i: number) {
  const tenant = i % TENANTS;
  const route = Math.floor(i / TENANTS) % ROUTES;
  const status = STATUSES[Math.floor(i / (TENANTS * ROUTES)) % STATUSES.length];
  // Spread over every bucket, the +Inf one included (up to 12.5 s).
  const durationSeconds = ((i * 7_919) % 25_000) / 2_000;
  return { tenant: `tenant-${tenant}`, route: `/r${route}/:id`, method: route % 2 === 0 ? 'GET' : 'POST', status, durationSeconds };
}

function bucketOf(value: number): number {
  let bucket = 0;
  while (bucket < BOUNDS.length && value > BOUNDS[bucket]) bucket++;
  return bucket;
}

describe('1,000,000 recordHttp calls across 1,000 tenants × 20 routes × 5 status codes', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let points: ReceivedPoint[];

  beforeAll(async () => {
    // A generous request timeout: this file checks exactness, not speed, and the receiver decoding ~300k points in
    // this process shares two cores with the other test file running beside it.
    // The bound is raised for the series, not for the burst: this file checks 100,000 request series and 20,000
    // duration histograms each exact under its own labels, and at the default 10 MiB the worker's state holds about
    // 16,000 series and aggregates the others under `__overflow__`, as the bound promises (docs/architecture.md,
    // "Memory accounting"). The burst needs no raise: at default options the ring, its raw segments and the fold
    // keep all of it (test/burst-fold.scale.test.ts, test/overflow.test.ts).
    ({ collector, receiver } = await startPipeline({ maxMemoryBytes: 256 * 1024 * 1024, otlp: { timeoutMillis: 60_000 } }));
    // One synchronous burst: what the ring cannot take goes to its raw segments, and past them is folded per series.
    for (let i = 0; i < CALLS; i++) {
      const c = call(i);
      collector.recordHttp({
        method: c.method,
        route: c.route,
        statusCode: c.status,
        tenantId: c.tenant,
        durationSeconds: c.durationSeconds,
        requestBytes: i % 5_000,
        responseBytes: 100,
      });
    }
    await collector.flush();
    points = receiver.points;
  }, 120_000);

  afterAll(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('keeps every call, in the ring or its overflow, and drops none', () => {
    const stats = collector.stats();
    expect(stats.ring.written + stats.ring.spilled).toBe(CALLS);
    expect(stats.ring.dropped).toBe(0);
    expect(stats.rejected).toBe(0);
  });

  it('exports every http_requests_total series with its exact count, and no other', () => {
    // Counted under a cheap key, then turned into label keys once per series (100,000, not 1,000,000 times).
    const counts = new Map<string, { labels: Record<string, unknown>; count: number }>();
    for (let i = 0; i < CALLS; i++) {
      const c = call(i);
      const cheap = `${c.method} ${c.route} ${c.status} ${c.tenant}`;
      const entry = counts.get(cheap);
      if (entry !== undefined) entry.count++;
      else counts.set(cheap, { labels: { method: c.method, route: c.route, status_code: c.status, tenant_id: c.tenant }, count: 1 });
    }
    const expected = new Map([...counts.values()].map(({ labels, count }) => [labelKey(labels), count]));
    // Plain checks in the loops and one assertion after: an expect() per point costs more than the export itself.
    const received = new Map<string, number>();
    const duplicates: string[] = [];
    for (const point of pointsNamed(points, 'http_requests_total')) {
      const key = labelKey(point.attributes);
      if (received.has(key)) duplicates.push(key);
      received.set(key, point.value as number);
    }
    expect(duplicates).toEqual([]);
    expect(received.size).toBe(TENANTS * ROUTES * STATUSES.length);
    expect(received).toEqual(expected);
  });

  it('exports every duration histogram with exact buckets, count, min, max and sum', () => {
    const byCheapKey = new Map<string, { labels: Record<string, unknown>; buckets: number[]; sum: number; min: number; max: number }>();
    for (let i = 0; i < CALLS; i++) {
      const c = call(i);
      const cheap = `${c.method} ${c.route} ${c.tenant}`;
      let entry = byCheapKey.get(cheap);
      if (entry === undefined) {
        const labels = { method: c.method, route: c.route, tenant_id: c.tenant };
        entry = { labels, buckets: new Array<number>(BOUNDS.length + 1).fill(0), sum: 0, min: Infinity, max: -Infinity };
        byCheapKey.set(cheap, entry);
      }
      entry.buckets[bucketOf(c.durationSeconds)]++;
      entry.sum += c.durationSeconds;
      entry.min = Math.min(entry.min, c.durationSeconds);
      entry.max = Math.max(entry.max, c.durationSeconds);
    }
    const expected = new Map([...byCheapKey.values()].map((entry) => [labelKey(entry.labels), entry]));
    const histograms = pointsNamed(points, 'http_request_duration_seconds');
    expect(histograms.length).toBe(TENANTS * ROUTES);
    // Every mismatch is collected with its series and field, then asserted once (an expect() per field of 20,000
    // points costs seconds).
    const seen = new Set<string>();
    const mismatches: string[] = [];
    const sameArray = (a: readonly number[] | undefined, b: readonly number[]) =>
      a !== undefined && a.length === b.length && a.every((value, index) => value === b[index]);
    for (const point of histograms) {
      const key = labelKey(point.attributes);
      if (seen.has(key)) mismatches.push(`duplicate series ${key}`);
      seen.add(key);
      const want = expected.get(key);
      if (want === undefined) {
        mismatches.push(`unexpected series ${key}`);
        continue;
      }
      if (!sameArray(point.explicitBounds, BOUNDS)) mismatches.push(`${key} bounds ${point.explicitBounds}`);
      if (!sameArray(point.bucketCounts, want.buckets)) mismatches.push(`${key} buckets ${point.bucketCounts} ≠ ${want.buckets}`);
      if (point.count !== CALLS / (TENANTS * ROUTES)) mismatches.push(`${key} count ${point.count}`);
      if (point.min !== want.min) mismatches.push(`${key} min ${point.min} ≠ ${want.min}`);
      if (point.max !== want.max) mismatches.push(`${key} max ${point.max} ≠ ${want.max}`);
      if (!(Math.abs(point.sum! - want.sum) / want.sum < 1e-9)) mismatches.push(`${key} sum ${point.sum} ≠ ${want.sum}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('exports request and response size histograms per (method, route) with exact counts and sums', () => {
    const requestSizes = pointsNamed(points, 'http_request_size_bytes');
    expect(requestSizes.length).toBe(ROUTES);
    const sumByRoute = new Map<string, number>();
    for (let i = 0; i < CALLS; i++) {
      const route = call(i).route;
      sumByRoute.set(route, (sumByRoute.get(route) ?? 0) + (i % 5_000));
    }
    for (const point of requestSizes) {
      expect(point.count).toBe(CALLS / ROUTES);
      expect(point.sum).toBe(sumByRoute.get(point.attributes.route as string));
    }
    const responseSizes = pointsNamed(points, 'http_response_size_bytes');
    expect(responseSizes.map((point) => point.bucketCounts)).toEqual(
      new Array(ROUTES).fill([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0].map((n) => n * (CALLS / ROUTES))),
    );
  });

  it('sends delta temporality, gzip, and the resource attributes', () => {
    const request = receiver.accepted[0];
    expect(request.headers['content-encoding']).toBe('gzip');
    expect(request.resource['service.name']).toBe('ringmeter-test');
    expect(typeof request.resource['service.instance.id']).toBe('string');
    expect(request.resource['telemetry.sdk.language']).toBe('nodejs');
    expect(request.resource['telemetry.distro.name']).toBe('ringmeter');
    // AGGREGATION_TEMPORALITY_DELTA = 1 in OTLP.
    expect(new Set(points.filter((p) => p.type !== 'gauge').map((p) => p.temporality))).toEqual(new Set([1]));
    expect(Math.max(...receiver.accepted.map((r) => r.points.length))).toBeLessThanOrEqual(512);
  });

  it('reports the records as written (to the ring) and spilled (to its overflow) in its self-metrics', () => {
    const written = pointsNamed(points, 'ringmeter.records.written').reduce((sum, p) => sum + (p.value ?? 0), 0);
    const spilled = pointsNamed(points, 'ringmeter.records.spilled').reduce((sum, p) => sum + (p.value ?? 0), 0);
    expect(written + spilled).toBe(CALLS);
    expect([written, spilled]).toEqual([collector.stats().ring.written, collector.stats().ring.spilled]);
  });
});
