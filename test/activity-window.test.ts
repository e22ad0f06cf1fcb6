import { describe, expect, it } from 'vitest';
import { ActivityWindows, WINDOW_MINUTES } from '../dist/workers/tenants/activity-window.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';

const MINUTE = 60_000;

/** One window of a fresh slab, read and written through it. */
function oneWindow() {
  const windows = new ActivityWindows();
  const w = windows.allocate();
  return {
    add: (nowMillis: number, count?: number) => windows.add(w, nowMillis, count),
    lastHour: (nowMillis: number) => windows.lastHour(w, nowMillis),
    get perMinute() {
      return Array.from(windows.perMinute(w));
    },
  };
}

describe('a tenant or endpoint activity window (requests per minute over the last hour)', () => {
  it('counts each minute in its bucket, the current one included before the minute turns', () => {
    const window = oneWindow();
    const start = 1_000 * MINUTE;
    for (let i = 0; i < 3; i++) window.add(start + i);
    expect(window.perMinute[1_000 % WINDOW_MINUTES]).toBe(3);
    window.add(start + MINUTE, 5);
    window.add(start + MINUTE + 59_999);
    expect(window.lastHour(start + MINUTE)).toBe(9);
    expect(window.perMinute[1_000 % WINDOW_MINUTES]).toBe(3);
    expect(window.perMinute[1_001 % WINDOW_MINUTES]).toBe(6);
    expect(window.perMinute.reduce((sum, count) => sum + count, 0)).toBe(9);
  });

  it('forgets the minutes older than an hour and clears the minutes that passed without requests', () => {
    const window = oneWindow();
    const start = 2_000 * MINUTE;
    window.add(start, 4);
    window.add(start + 30 * MINUTE, 2);
    // 59 minutes after the first: both still in the hour.
    expect(window.lastHour(start + 59 * MINUTE)).toBe(6);
    // 60 minutes after: the first minute has left.
    expect(window.lastHour(start + 60 * MINUTE)).toBe(2);
    window.add(start + 61 * MINUTE);
    expect(window.perMinute[(2_000 + 61) % WINDOW_MINUTES]).toBe(1);
    // Two hours of silence: nothing left.
    expect(window.lastHour(start + 200 * MINUTE)).toBe(0);
    expect(window.perMinute.every((count) => count === 0)).toBe(true);
  });

  it('counts a record stamped with an earlier minute (a clock step back) in the newest minute', () => {
    const window = oneWindow();
    const start = 3_000 * MINUTE;
    window.add(start + 5 * MINUTE);
    window.add(start + 2 * MINUTE);
    expect(window.perMinute[(3_000 + 5) % WINDOW_MINUTES]).toBe(2);
    expect(window.lastHour(start + 5 * MINUTE)).toBe(2);
  });

  it('keeps windows apart in one slab, grows it charged to the budget, and reuses a released window cleared', () => {
    const budget = new MemoryBudget(64 * 248 + 100);
    const windows = new ActivityWindows(budget);
    const start = 4_000 * MINUTE;
    const all = Array.from({ length: 64 }, () => windows.allocate());
    expect(all).toEqual(Array.from({ length: 64 }, (_, i) => i));
    // 64 windows of 62 words: the slab's first growth, charged whole.
    expect(budget.used).toBe(64 * 248);
    for (const [i, w] of all.entries()) windows.add(w, start, i + 1);
    expect(all.map((w) => windows.lastHour(w, start))).toEqual(all.map((_, i) => i + 1));
    // The 65th needs the slab to grow past the budget: refused, nothing changed.
    expect(windows.allocate()).toBe(-1);
    expect(budget.used).toBe(64 * 248);
    windows.release(7);
    expect(windows.size).toBe(63);
    expect(windows.allocate()).toBe(7);
    expect(windows.lastHour(7, start)).toBe(0);
    expect(windows.lastHour(8, start)).toBe(9);
    // A forced window (a tenant id that is not client-chosen) grows the slab by one, whatever the budget says.
    expect(windows.allocate(true)).toBe(64);
    expect(budget.used).toBe(65 * 248);
  });
});
