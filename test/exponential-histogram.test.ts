import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type ExponentialHistogram,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ExponentialHistogramStore, type ExponentialPointView } from '../dist/workers/aggregation/exponential-histogram-store.js';
import { bucketIndex, lowerBoundary } from '../dist/workers/aggregation/exponential-mapping.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';

const NOW = 1_700_000_000_000;

/** The SDK's delta collection, as a reader that collects on demand. */
class DeltaReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** An SDK histogram with a view selecting the base-2 exponential aggregation; `collect` returns each interval's point. */
function sdkHistogram(maxSize = 160) {
  const reader = new DeltaReader();
  const provider = new MeterProvider({
    readers: [reader],
    views: [{ instrumentName: 'duration', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize } } }],
  });
  const histogram = provider.getMeter('test').createHistogram('duration');
  return {
    record: (value: number) => histogram.record(value),
    async collect(): Promise<Summary> {
      const { resourceMetrics } = await reader.collect();
      const point = resourceMetrics.scopeMetrics[0].metrics[0].dataPoints[0].value as ExponentialHistogram;
      const { scale, zeroCount, count, sum, min, max, positive } = point;
      return {
        scale,
        zeroCount,
        count,
        sum: sum ?? 0,
        min: min ?? 0,
        max: max ?? 0,
        offset: positive.offset,
        counts: positive.bucketCounts,
      };
    },
  };
}

interface Summary {
  scale: number;
  zeroCount: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  offset: number;
  counts: number[];
}

function store(options: { maxSize?: number; budgetBytes?: number; maxSeries?: number } = {}) {
  const histograms = new ExponentialHistogramStore(1, options.maxSeries ?? 100, new MemoryBudget(options.budgetBytes ?? 1 << 24), NOW, {
    maxSize: options.maxSize,
  });
  return { histograms, series: histograms.seriesOf(7, 0, 0, NOW) };
}

/** Takes a series and reads its point as the SDK reports one (an empty positive range has offset 0). */
function take(histograms: ExponentialHistogramStore, series: number): Summary {
  expect(histograms.take(series)).toBe(true);
  const view = histograms.readTaken(series, {} as ExponentialPointView);
  const counts = Array.from(view.counts.subarray(view.countsAt, view.countsAt + view.countsLength));
  const { scale, zeroCount, count, sum, min, max } = view;
  return { scale, zeroCount, count, sum, min, max, offset: counts.length === 0 ? 0 : view.offset, counts };
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Value sets with the shapes durations take: narrow and wide log-uniform ranges, exact powers of two, zeros, one value. */
const DISTRIBUTIONS: Record<string, (random: () => number, i: number) => number> = {
  'web latencies, 1 ms to 2 s': (random) => Math.exp(Math.log(0.001) + random() * Math.log(2_000)),
  'a narrow band, 20 ms ± 1 %': (random) => 0.02 * (0.99 + random() * 0.02),
  'twelve decades, 1 µs to 1,000,000 s': (random) => 10 ** (-6 + random() * 12),
  'powers of two and zeros': (random) => (random() < 0.2 ? 0 : 2 ** Math.floor(random() * 30 - 15)),
  'descending values (new lowest buckets each time)': (_random, i) => 100 / (1 + i),
  'a single repeated value': () => 0.25,
};

describe('ExponentialHistogramStore', () => {
  it('settles two values 2^20 buckets apart at scale 7, with 0 in the zero bucket', () => {
    const { histograms, series } = store();
    for (const value of [1, 2, 0]) histograms.record(series, value);
    const counts = Array(129).fill(0);
    counts[0] = 1;
    counts[128] = 1;
    expect(take(histograms, series)).toEqual({ scale: 7, zeroCount: 1, count: 3, sum: 3, min: 0, max: 2, offset: -1, counts });
  });

  it('keeps one value at the maximum scale 20, and reports scale 0 for zeros only, as the SDK does', () => {
    const { histograms, series } = store();
    histograms.record(series, 1.5);
    expect(take(histograms, series)).toEqual({
      scale: 20,
      zeroCount: 0,
      count: 1,
      sum: 1.5,
      min: 1.5,
      max: 1.5,
      offset: 613_377,
      counts: [1],
    });
    histograms.commit(series);
    histograms.record(series, 0);
    histograms.record(series, 0);
    expect(take(histograms, series)).toEqual({ scale: 0, zeroCount: 2, count: 2, sum: 0, min: 0, max: 0, offset: 0, counts: [] });
  });

  for (const [name, draw] of Object.entries(DISTRIBUTIONS)) {
    it(`matches the OpenTelemetry SDK's scale, offset and bucket counts: ${name}`, async () => {
      const random = seeded(name.length * 7_919);
      const sdk = sdkHistogram();
      const { histograms, series } = store();
      for (let i = 0; i < 5_000; i++) {
        const value = draw(random, i);
        sdk.record(value);
        histograms.record(series, value);
      }
      const ours = take(histograms, series);
      expect(ours).toEqual(await sdk.collect());
      expect(ours.counts.length).toBeLessThanOrEqual(160);
    });
  }

  it('matches the SDK with a small maxSize (4 buckets), where nearly every value downscales', async () => {
    const random = seeded(4);
    const sdk = sdkHistogram(4);
    const { histograms, series } = store({ maxSize: 4 });
    for (let i = 0; i < 1_000; i++) {
      const value = Math.exp(random() * 40 - 20);
      sdk.record(value);
      histograms.record(series, value);
    }
    const ours = take(histograms, series);
    expect(ours.counts.length).toBeLessThanOrEqual(4);
    expect(ours).toEqual(await sdk.collect());
  });

  it('delta: each accepted export starts the next interval afresh at scale 20, like the SDK’s delta collections', async () => {
    const sdk = sdkHistogram();
    const { histograms, series } = store();
    for (const interval of [
      [0.001, 0.5, 3],
      [0.02, 0.021],
    ]) {
      for (const value of interval) {
        sdk.record(value);
        histograms.record(series, value);
      }
      expect(take(histograms, series)).toEqual(await sdk.collect());
      histograms.commit(series);
    }
    expect(histograms.hasPending(series)).toBe(false);
    expect(histograms.take(series)).toBe(false);
  });

  it('a failed export merges its point back: the next export carries both intervals, exactly as if recorded together', async () => {
    const random = seeded(11);
    const values = Array.from({ length: 2_000 }, () => Math.exp(Math.log(0.001) + random() * Math.log(1_000)));
    const sdk = sdkHistogram();
    const { histograms, series } = store();
    for (const value of values.slice(0, 1_000)) histograms.record(series, value);
    expect(histograms.take(series)).toBe(true);
    // Values that arrive while the request is in flight go to the live slot, which started again at scale 20.
    for (const value of values.slice(1_000)) histograms.record(series, value);
    expect(histograms.liveCount(series)).toBe(1_000);
    histograms.abort(series);
    for (const value of values) sdk.record(value);
    const merged = take(histograms, series);
    expect(merged.count).toBe(2_000);
    // Buckets merge exactly; the sum is two partial sums added, so it may differ from one running sum in the last bit.
    const { sum, ...expected } = await sdk.collect();
    expect({ ...merged, sum: 0 }).toEqual({ ...expected, sum: 0 });
    expect(merged.sum).toBeCloseTo(sum, 9);
  });

  it('a failed export into an empty live slot restores the point unchanged; zeros and extremes merge too', () => {
    const { histograms, series } = store();
    for (const value of [0, 0.003, 0.004, 7]) histograms.record(series, value);
    const before = take(histograms, series);
    expect(histograms.hasPending(series)).toBe(true);
    histograms.abort(series);
    expect(take(histograms, series)).toEqual(before);
    histograms.abort(series);
    histograms.record(series, 0);
    histograms.record(series, 9);
    const merged = take(histograms, series);
    expect([merged.count, merged.zeroCount, merged.sum, merged.min, merged.max]).toEqual([6, 2, 0.003 + 0.004 + 7 + 9, 0, 9]);
    expect(merged.counts.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('refuses to take a series twice before its point is settled, and keeps it pending until then', () => {
    const { histograms, series } = store();
    histograms.record(series, 0.1);
    histograms.take(series);
    histograms.record(series, 0.2);
    expect(() => histograms.take(series)).toThrow(`exponential histogram series ${series} taken twice without a settlement`);
    histograms.commit(series);
    expect(histograms.hasPending(series)).toBe(true);
    expect(take(histograms, series)).toMatchObject({ count: 1, sum: 0.2 });
    histograms.commit(series);
    expect(histograms.hasPending(series)).toBe(false);
  });

  it('refuses negative, NaN and infinite values, and counts them', () => {
    const { histograms, series } = store();
    for (const value of [-0.001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5]) histograms.record(series, value);
    expect(histograms.refused).toBe(4);
    expect(take(histograms, series)).toMatchObject({ count: 1, sum: 0.5, min: 0.5, max: 0.5 });
  });

  it('quantiles read from the buckets lie within the scale’s relative error of the recorded values', () => {
    const random = seeded(99);
    const values = Array.from({ length: 10_000 }, () => Math.exp(Math.log(0.0005) + random() * Math.log(20_000)));
    const { histograms, series } = store();
    for (const value of values) histograms.record(series, value);
    const point = take(histograms, series);
    const sorted = [...values].sort((a, b) => a - b);
    const base = 2 ** (2 ** -point.scale);
    for (const q of [0.5, 0.9, 0.95, 0.99, 0.999]) {
      const rank = Math.ceil(q * sorted.length);
      let seen = 0;
      let bucket = 0;
      while (seen + point.counts[bucket] < rank) seen += point.counts[bucket++];
      const low = lowerBoundary(point.offset + bucket, point.scale);
      const estimate = (low + low * base) / 2;
      const truth = sorted[rank - 1];
      // The value lies in (low, low·base], so the bucket's midpoint is within (base − 1) / 2 of it, relatively.
      expect(truth).toBeGreaterThan(low * (1 - 1e-12));
      expect(truth).toBeLessThanOrEqual(low * base * (1 + 1e-12));
      expect(Math.abs(estimate - truth) / truth).toBeLessThanOrEqual((base - 1) / 2);
    }
    // 0.5 ms to 10 s is a contrast of 20,000: scale 3 holds it in 160 buckets, scale 4 would need 229.
    expect(point.scale).toBe(3);
  });

  it('maps powers of two into the bucket below them and subnormals as the smallest normal value', () => {
    expect([bucketIndex(1, 0), bucketIndex(2, 0), bucketIndex(3, 0), bucketIndex(4, -1), bucketIndex(4.5, -1)]).toEqual([-1, 0, 1, 0, 1]);
    expect([bucketIndex(2, 3), bucketIndex(2 ** 1.0625, 3)]).toEqual([7, 8]);
    expect(bucketIndex(5e-324, 20)).toBe(bucketIndex(2 ** -1022, 20));
    expect(bucketIndex(5e-324, 0)).toBe(-1023);
    expect(bucketIndex(Number.MAX_VALUE, 20)).toBe((1024 << 20) - 1);
  });

  it('charges each series’ live and taken slots to the memory budget, and overflows when the budget refuses', () => {
    // 2 slots × (6 header + 80 count float64 slots) × 8 bytes, plus the key word and the SeriesStore bookkeeping.
    const { histograms } = store();
    expect(histograms.bytesPerSeries()).toBe(2 * 86 * 8 + 4 + 8 + 4 + 8);
    const small = store({ budgetBytes: 200_000, maxSeries: 10_000 });
    let overflowed = 0;
    for (let key = 1; key <= 300; key++) {
      const s = small.histograms.seriesOf(1_000 + key, 0, 0, NOW);
      if (small.histograms.isOverflow(s)) overflowed++;
      small.histograms.record(s, 0.01 * key);
    }
    // 200,000 bytes hold 142 series (1,392 bytes of columns and keys each, and 2 KiB of hash slots): the overflow
    // series, the helper's and 140 of the 300 new keys.
    expect(small.histograms.size).toBe(141);
    expect(overflowed).toBe(300 - 140);
    expect(small.histograms.overflowed).toBe(overflowed);
    // Everything refused a series of its own is in the overflow series, nothing lost.
    expect(small.histograms.liveCount(0)).toBe(overflowed);
  });

  it('a removed series’ number comes back empty', () => {
    const { histograms, series } = store();
    histograms.record(series, 3);
    take(histograms, series);
    histograms.commit(series);
    histograms.remove(series);
    const again = histograms.seriesOf(8, 0, 0, NOW);
    expect(again).toBe(series);
    expect(histograms.hasPending(again)).toBe(false);
    histograms.record(again, 0.5);
    expect(take(histograms, again)).toEqual({
      scale: 20,
      zeroCount: 0,
      count: 1,
      sum: 0.5,
      min: 0.5,
      max: 0.5,
      offset: -1_048_577,
      counts: [1],
    });
  });
});
