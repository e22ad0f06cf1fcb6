import { describe, expect, it } from 'vitest';
import { createCollector } from 'ringmeter';
import { resolveOptions } from 'ringmeter/internal';
import { pointsNamed, pipelinesClosedAfterEach, total } from './support/harness.js';
import type { ReceivedPoint } from './support/otlp-receiver.js';

/** 1,000 durations spread log-uniformly over 1 ms to 2 s (a contrast of 2,000), in a shuffled but fixed order. */
const DURATIONS = Array.from({ length: 1_000 }, (_, i) => 0.001 * 2_000 ** (((i * 617) % 1_000) / 999));

/** The value at quantile q of sorted values (the nearest-rank definition). */
function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/** The bounds (base^i, base^(i+1)] of the bucket holding rank ⌈q·count⌉ of a decoded exponential point. */
function quantileBucket(point: ReceivedPoint, q: number): { lower: number; upper: number } {
  const rank = Math.max(1, Math.ceil(q * (point.count ?? 0)));
  let seen = point.zeroCount ?? 0;
  if (seen >= rank) return { lower: 0, upper: 0 };
  const base = 2 ** (2 ** -(point.scale ?? 0));
  const counts = point.positiveBucketCounts ?? [];
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    const index = (point.positiveOffset ?? 0) + i;
    if (seen >= rank) return { lower: base ** index, upper: base ** (index + 1) };
  }
  throw new Error(`rank ${rank} beyond the buckets`);
}

describe('otlp.histogramAggregation: base2_exponential_bucket_histogram', () => {
  const startPipeline = pipelinesClosedAfterEach();

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: the duration histograms go out as delta exponential histograms whose count, sum and quantiles match the values`, async () => {
      const { collector, receiver } = await startPipeline({
        otlp: { protocol, histogramAggregation: 'base2_exponential_bucket_histogram' },
      });
      for (const durationSeconds of DURATIONS)
        collector.recordHttp({
          method: 'GET',
          route: '/items',
          statusCode: 200,
          tenantId: 'acme',
          durationSeconds,
          requestBytes: 1,
          responseBytes: 1,
        });
      await collector.flush();

      const [point, ...others] = pointsNamed(receiver.points, 'http_request_duration_seconds');
      expect(others).toEqual([]);
      expect(point.type).toBe('exponentialHistogram');
      expect(point.temporality).toBe(1);
      expect(point.attributes).toEqual({ method: 'GET', route: '/items', tenant_id: 'acme' });
      expect(point.count).toBe(1_000);
      expect(point.sum).toBeCloseTo(
        DURATIONS.reduce((sum, d) => sum + d, 0),
        9,
      );
      expect(point.min).toBe(Math.min(...DURATIONS));
      expect(point.max).toBe(Math.max(...DURATIONS));
      // A contrast of 2,000 needs log2(2000) · 2^scale buckets: 88 at scale 3, 176 at scale 4 (over 160). The SDK's choice.
      expect(point.scale).toBe(3);
      expect(point.zeroCount).toBe(0);
      const counts = point.positiveBucketCounts ?? [];
      expect(counts.length).toBeLessThanOrEqual(160);
      expect(counts.reduce((sum, n) => sum + n, 0)).toBe(1_000);

      // Every quantile read from the buckets holds the recorded value of that rank: within 2^(1/8) − 1 ≈ 9 % of it.
      const sorted = [...DURATIONS].sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const exact = nearestRank(sorted, q);
        const { lower, upper } = quantileBucket(point, q);
        expect(exact, `p${q * 100}`).toBeGreaterThan(lower * (1 - 1e-12));
        expect(exact, `p${q * 100}`).toBeLessThanOrEqual(upper * (1 + 1e-12));
        expect(upper / lower).toBeCloseTo(2 ** (1 / 8), 12);
      }

      // Delta: the next export carries only what came after, from a fresh scale (one value: the maximum scale, 20).
      collector.recordHttp({
        method: 'GET',
        route: '/items',
        statusCode: 200,
        tenantId: 'acme',
        durationSeconds: 0.25,
        requestBytes: 1,
        responseBytes: 1,
      });
      receiver.clear();
      await collector.flush();
      const [next] = pointsNamed(receiver.points, 'http_request_duration_seconds');
      expect([next.type, next.count, next.sum, next.min, next.max, next.scale]).toEqual(['exponentialHistogram', 1, 0.25, 0.25, 0.25, 20]);
      expect(next.positiveBucketCounts).toEqual([1]);
      expect(next.startTimeUnixNano).toBe(point.timeUnixNano);
      // The request counter is unchanged by the aggregation: exact totals.
      expect(total(receiver.points, 'http_requests_total')).toBe(1);
    });
  }

  it('the database query durations too; the explicit buckets stay the default', async () => {
    expect(resolveOptions({ env: {} }).otlp.histogramAggregation).toBe('explicit_bucket_histogram');
    expect(
      resolveOptions({ env: { OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram' } }).otlp
        .histogramAggregation,
    ).toBe('base2_exponential_bucket_histogram');
    const { collector, receiver } = await startPipeline({
      env: { OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram' },
    });
    for (const durationSeconds of [0.002, 0.004, 0.004])
      collector.recordQuery({ queryType: 'SELECT', table: 'users', tenantId: 'acme', durationSeconds });
    await collector.flush();
    const [point] = pointsNamed(receiver.points, 'db_query_duration_seconds');
    expect([point.type, point.count, point.min, point.max]).toEqual(['exponentialHistogram', 3, 0.002, 0.004]);
    expect(point.sum).toBeCloseTo(0.01, 12);
  });

  it('refuses any other value by name', () => {
    expect(() => createCollector({ env: {}, otlp: { histogramAggregation: 'exponential' as never } })).toThrow(
      new RangeError(
        "options.otlp.histogramAggregation must be one of 'explicit_bucket_histogram', 'base2_exponential_bucket_histogram' (got \"exponential\")",
      ),
    );
  });
});
