import { describe, expect, it } from 'vitest';
import { ProgressWatch, STARTUP_GRACE_MILLIS } from '../dist/src/supervisor/progress-watch.js';
import { restartDelayMillis } from '../dist/src/supervisor/restart-backoff.js';

describe('the supervisor: hang detection and restart back-off, on simulated time', () => {
  it('calls a worker hung only once its heartbeat has stood still for the whole bound, then starts over', () => {
    const watch = new ProgressWatch(1_000, 0);
    expect(watch.pollMillis).toBe(250);
    expect(watch.check(1, 0)).toBeUndefined();
    // Beating: never hung, however long it runs.
    for (let t = 250; t <= 5_000; t += 250) expect(watch.check(t, t)).toBeUndefined();
    // Stuck from t = 5000: not at 999 ms, hung at 1000 ms.
    expect(watch.check(5_000, 5_999)).toBeUndefined();
    expect(watch.check(5_000, 6_000)).toBe(1_000);
    // The replacement is starting: until its first beat it has the start-up grace, not the bound.
    expect(watch.check(5_000, 6_250)).toBeUndefined();
    expect(watch.check(5_000, 6_000 + STARTUP_GRACE_MILLIS - 1)).toBeUndefined();
    expect(watch.check(5_000, 6_000 + STARTUP_GRACE_MILLIS)).toBe(STARTUP_GRACE_MILLIS);
    // The next one beats: from then on the bound is the bound again.
    const started = 6_000 + STARTUP_GRACE_MILLIS;
    expect(watch.check(5_000, started + 100)).toBeUndefined();
    expect(watch.check(5_001, started + 600)).toBeUndefined();
    expect(watch.check(5_001, started + 1_599)).toBeUndefined();
    expect(watch.check(5_001, started + 1_600)).toBe(1_000);
  });

  it('gives a worker launched for any reason (a crash, the first start) the start-up grace until it beats', () => {
    const watch = new ProgressWatch(200, 0);
    // The counter as the last worker left it: not a beat of the new one.
    watch.launched(10_000, 42);
    expect(watch.check(42, 10_050)).toBeUndefined();
    expect(watch.check(42, 10_000 + STARTUP_GRACE_MILLIS - 1)).toBeUndefined();
    expect(watch.check(43, 10_000 + STARTUP_GRACE_MILLIS)).toBeUndefined();
    expect(watch.check(43, 10_000 + STARTUP_GRACE_MILLIS + 199)).toBeUndefined();
    expect(watch.check(43, 10_000 + STARTUP_GRACE_MILLIS + 200)).toBe(200);
  });

  it('polls at a quarter of the bound, never more often than every 50 ms', () => {
    expect(new ProgressWatch(100, 0).pollMillis).toBe(50);
    expect(new ProgressWatch(10_000, 0).pollMillis).toBe(2_500);
  });

  it('restarts at once the first time, then after 100 ms, 500 ms, 1 s, and 5 s for every later one', () => {
    expect([0, 1, 2, 3, 4, 5, 50].map(restartDelayMillis)).toEqual([0, 100, 500, 1_000, 5_000, 5_000, 5_000]);
  });
});
