import { describe, expect, it } from 'vitest';
import {
  idleDrainCapMillis,
  MAX_DRAIN_INTERVAL_MILLIS,
  MAX_IDLE_DRAIN_INTERVAL_MILLIS,
  MIN_DRAIN_INTERVAL_MILLIS,
  nextDrainDelayMillis,
} from '../dist/workers/drain-pacing.js';

describe('the worker: when its next drain pass runs', () => {
  it('sleeps the longest interval when idle or lightly loaded', () => {
    expect(MAX_DRAIN_INTERVAL_MILLIS).toBe(50);
    expect(nextDrainDelayMillis(0, 50, 16_384, false)).toBe(50);
    // 50,000 records/s into 16,384 slots: a quarter of the ring takes 82 ms to fill, so the cap rules.
    expect(nextDrainDelayMillis(2_500, 50, 16_384, false)).toBe(50);
    // A clock that did not move (or moved back) gives no rate.
    expect(nextDrainDelayMillis(100, 0, 16_384, false)).toBe(50);
    expect(nextDrainDelayMillis(100, -5, 16_384, false)).toBe(50);
  });

  it('comes back when, at the last pass rate, the ring would be a quarter full', () => {
    // 200,000 records/s: 4,096 slots fill in 20.48 ms.
    expect(nextDrainDelayMillis(10_000, 50, 16_384, false)).toBe(20);
    // A small ring at 50,000 records/s: 256 slots in 5.12 ms.
    expect(nextDrainDelayMillis(2_500, 50, 1_024, false)).toBe(5);
    // Faster than the ring can take between two passes: never less than the shortest sleep.
    expect(nextDrainDelayMillis(16_000, 1, 1_024, false)).toBe(MIN_DRAIN_INTERVAL_MILLIS);
  });

  it('runs again at once when a pass stopped with records still waiting', () => {
    expect(nextDrainDelayMillis(65_536, 3, 16_384, true)).toBe(0);
    expect(nextDrainDelayMillis(0, 50, 16_384, true)).toBe(0);
  });

  it('backs off while idle: each pass that found nothing doubles the sleep, up to its cap', () => {
    expect(MAX_IDLE_DRAIN_INTERVAL_MILLIS).toBe(400);
    const cap = idleDrainCapMillis(10_000);
    expect(cap).toBe(400);
    expect(nextDrainDelayMillis(0, 50, 16_384, false, cap)).toBe(100);
    expect(nextDrainDelayMillis(0, 100, 16_384, false, cap)).toBe(200);
    expect(nextDrainDelayMillis(0, 200, 16_384, false, cap)).toBe(400);
    expect(nextDrainDelayMillis(0, 401, 16_384, false, cap)).toBe(400);
    // A pass that found records goes back to the ring's pace at once (the rate over the idle spell: the 50 ms cap).
    expect(nextDrainDelayMillis(10, 400, 16_384, false, cap)).toBe(50);
    // A timer that fired early still sleeps at least the longest busy interval.
    expect(nextDrainDelayMillis(0, 3, 16_384, false, cap)).toBe(50);
  });

  it('caps the idle sleep at a quarter of workerHangMillis, never below the busy cap', () => {
    expect(idleDrainCapMillis(1_000)).toBe(250);
    expect(idleDrainCapMillis(400)).toBe(100);
    expect(idleDrainCapMillis(100)).toBe(MAX_DRAIN_INTERVAL_MILLIS);
    expect(idleDrainCapMillis(3_600_000)).toBe(400);
    expect(nextDrainDelayMillis(0, 200, 16_384, false, idleDrainCapMillis(100))).toBe(50);
  });
});
