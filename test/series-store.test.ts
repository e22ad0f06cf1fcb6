import { describe, expect, it } from 'vitest';
import { HistogramStore } from '../dist/workers/aggregation/histogram-store.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';
import { SumStore } from '../dist/workers/aggregation/sum-store.js';

const NOW = 1_700_000_000_000;

describe('SumStore', () => {
  it('keeps one series per key and sends everything pending until a commit', () => {
    const store = new SumStore(3, 2, 100, new MemoryBudget(1 << 20), NOW);
    const a = store.seriesOf(1, 2, 3, NOW);
    const b = store.seriesOf(1, 2, 4, NOW);
    expect(store.seriesOf(1, 2, 3, NOW)).toBe(a);
    expect(a).not.toBe(b);
    store.add(a, 0, 5);
    store.add(a, 1, 0.1);
    store.add(a, 1, 0.2);
    expect(store.delta(a, 0)).toBe(5);
    store.commit(a, 0, 5);
    expect(store.delta(a, 0)).toBe(0);
    expect(store.delta(a, 1)).toBeCloseTo(0.3, 15);
    expect(store.size).toBe(2);
  });

  it('sends new keys beyond maxSeries to the overflow series (0) and counts them', () => {
    const store = new SumStore(1, 1, 3, new MemoryBudget(1 << 20), NOW);
    const series = [10, 11, 12, 13, 14].map((key) => store.seriesOf(key, 0, 0, NOW));
    expect(series.slice(0, 3).every((s) => s > 0)).toBe(true);
    expect(series.slice(3)).toEqual([0, 0]);
    expect(store.overflowed).toBe(2);
    expect(store.size).toBe(3);
  });

  it('stops growing at the memory budget and overflows instead', () => {
    const budget = new MemoryBudget(64 * 1024);
    const store = new SumStore(2, 1, 1_000_000, budget, NOW);
    let overflowed = 0;
    for (let key = 0; key < 100_000; key++) if (store.seriesOf(key, key, 0, NOW) === 0) overflowed++;
    expect(budget.used).toBeLessThanOrEqual(64 * 1024);
    expect(store.size).toBeGreaterThan(500);
    expect(store.size + overflowed).toBe(100_000);
    expect(store.overflowed).toBe(overflowed);
  });

  it('forgets removed series, finds every other key afterwards, and reuses the number', () => {
    const store = new SumStore(2, 1, 10_000, new MemoryBudget(1 << 24), NOW);
    const series = new Map<number, number>();
    for (let key = 0; key < 5_000; key++) series.set(key, store.seriesOf(key, 7, 0, NOW));
    for (let key = 0; key < 5_000; key += 3) store.remove(series.get(key)!);
    for (let key = 0; key < 5_000; key++) {
      if (key % 3 === 0) continue;
      expect(store.seriesOf(key, 7, 0, NOW)).toBe(series.get(key));
    }
    const reused = store.seriesOf(99_999, 7, 0, NOW);
    expect(series.get(4_998)).toBe(reused);
    expect(store.delta(reused, 0)).toBe(0);
  });
});

describe('HistogramStore', () => {
  it('buckets by the OpenTelemetry rule (bucket i holds b(i-1) < v ≤ b(i)) and tracks sum, min and max', () => {
    const store = new HistogramStore(1, [0.1, 1], 10, new MemoryBudget(1 << 20), NOW);
    const s = store.seriesOf(1, 0, 0, NOW);
    for (const value of [0.05, 0.1, 0.5, 3]) store.record(s, value);
    expect(store.deltaBuckets(s)).toEqual([2, 1, 1]);
    expect(store.deltaCount(s)).toBe(4);
    expect(store.deltaSum(s)).toBeCloseTo(3.65, 12);
    expect(store.takeExtremes(s)).toEqual({ min: 0.05, max: 3 });
    store.commit(s, [2, 1, 1], store.deltaSum(s));
    expect(store.deltaCount(s)).toBe(0);
    expect(store.deltaSum(s)).toBe(0);
  });

  it('gives min and max back after a failed export', () => {
    const store = new HistogramStore(1, [1], 10, new MemoryBudget(1 << 20), NOW);
    const s = store.seriesOf(1, 0, 0, NOW);
    store.record(s, 0.5);
    const taken = store.takeExtremes(s);
    store.record(s, 0.7);
    store.restoreExtremes(s, taken.min, taken.max);
    expect(store.takeExtremes(s)).toEqual({ min: 0.5, max: 0.7 });
  });

  it('costs at most 200 bytes per histogram series of the HTTP duration shape', () => {
    const store = new HistogramStore(
      3,
      [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
      1_000_000,
      new MemoryBudget(1 << 30),
      NOW,
    );
    expect(store.bytesPerSeries()).toBeLessThanOrEqual(200);
  });
});
