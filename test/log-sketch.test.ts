import { describe, expect, test } from 'vitest';
import { LogSketch, MAX_BUCKETS, mergeSketches, RELATIVE_ACCURACY } from '../src/sketch/log-sketch.js';

/** A seeded generator, so that a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
}

/** Long-tailed latencies in seconds: 90 % log-normal around 20 ms, 10 % Pareto from 50 ms (α = 1.2). */
function longTailed(count: number, seed: number): Float64Array {
  const next = random(seed);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const u = next();
    values[i] =
      i % 10 === 0
        ? 0.05 * (1 - u) ** (-1 / 1.2)
        : Math.exp(Math.log(0.02) + 0.8 * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * u));
  }
  return values;
}

describe('LogSketch', () => {
  test('quantiles of the values added since a mark, within 1 %, whatever came before and however wide', () => {
    const sketch = new LogSketch();
    // Before the mark: fast values, and some far below and above the interval's range.
    for (const value of longTailed(100_000, 3)) sketch.add(value / 10);
    sketch.add(1e-6);
    sketch.add(500);
    const mark = sketch.mark();
    expect(sketch.countSince(mark)).toBe(0);
    expect(sketch.quantileSince(mark, 0.95)).toBeNaN();
    const after = longTailed(200_000, 11);
    for (const value of after) sketch.add(value);
    sketch.add(0);
    const sorted = Float64Array.from([...after, 0]).sort();
    expect(sketch.countSince(mark)).toBe(200_001);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))] as number;
      const estimate = sketch.quantileSince(mark, q);
      expect(Math.abs(estimate - exact) / exact, `p${q * 100}: exact ${exact}, since mark ${estimate}`).toBeLessThanOrEqual(
        RELATIVE_ACCURACY,
      );
    }
    // The zero bucket counts too: the lowest rank since the mark is the 0 added.
    expect(sketch.quantileSince(mark, 0)).toBe(0);
    // A mark reused: the next interval is read from it alone.
    const next = sketch.mark(mark);
    for (let i = 0; i < 99; i++) sketch.add(0.2);
    sketch.add(9);
    expect(Math.abs(sketch.quantileSince(next, 0.5) / 0.2 - 1)).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(Math.abs(sketch.quantileSince(next, 1) / 9 - 1)).toBeLessThanOrEqual(RELATIVE_ACCURACY);
  });

  test('p50, p95 and p99 of 1,000,000 long-tailed samples within 1 % of the exact values, merged from two halves', () => {
    const values = longTailed(1_000_000, 7);
    const even = new LogSketch();
    const odd = new LogSketch();
    for (let i = 0; i < values.length; i++) (i % 2 === 0 ? even : odd).add(values[i] as number);
    const merged = mergeSketches([even.snapshot(), odd.snapshot()]);
    const sorted = Float64Array.from(values).sort();
    expect(merged.count).toBe(1_000_000);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.floor(q * (values.length - 1))] as number;
      const estimate = merged.quantile(q);
      expect(Math.abs(estimate - exact) / exact, `p${q * 100}: exact ${exact}, sketch ${estimate}`).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    }
    // Bounded memory: the whole distribution (0.5 ms to minutes) in a few hundred buckets.
    expect(merged.snapshot().counts.length).toBeLessThan(1000);
  });

  test('count, sum, min and max are exact; an empty sketch answers NaN; a snapshot round-trips', () => {
    const sketch = new LogSketch();
    expect(sketch.quantile(0.5)).toBeNaN();
    for (const value of [0.25, 0.5, 1, 2, 0]) sketch.add(value);
    expect([sketch.count, sketch.sum, sketch.min, sketch.max]).toEqual([5, 3.75, 0, 2]);
    expect(sketch.quantile(0)).toBe(0);
    expect(sketch.quantile(1)).toBe(2);
    expect(Math.abs(sketch.quantile(0.5) - 0.5) / 0.5).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(LogSketch.from(sketch.snapshot()).snapshot()).toEqual(sketch.snapshot());
  });

  test('ignores negative, NaN and infinite values', () => {
    const sketch = new LogSketch();
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY]) sketch.add(value);
    expect(sketch.count).toBe(0);
  });

  test('never holds more than MAX_BUCKETS buckets however wide its values; the top quantiles stay accurate', () => {
    const sketch = new LogSketch();
    for (let exponent = -9; exponent < 40; exponent += 0.01) sketch.add(10 ** exponent);
    expect(sketch.snapshot().counts.length).toBeLessThanOrEqual(MAX_BUCKETS);
    const count = sketch.count;
    const exact = 10 ** (-9 + Math.floor(0.99 * (count - 1)) * 0.01);
    expect(Math.abs(sketch.quantile(0.99) - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY * 1.01);
  });

  test('countAbove counts the values above a threshold, exact away from the threshold bucket', () => {
    const sketch = new LogSketch();
    for (let i = 1; i <= 1000; i++) sketch.add(i / 1000);
    // 0.5 to 0.505 share the threshold's bucket (1 % wide) and are not counted.
    expect(sketch.countAbove(0.5)).toBeGreaterThanOrEqual(490);
    expect(sketch.countAbove(0.5)).toBeLessThanOrEqual(500);
    expect(sketch.countAbove(2)).toBe(0);
  });
});
