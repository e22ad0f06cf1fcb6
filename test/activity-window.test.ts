import { describe, expect, it } from 'vitest';
import { ActivityWindow, WINDOW_MINUTES } from '../dist/workers/tenants/activity-window.js';

const MINUTE = 60_000;

describe('a tenant or endpoint activity window (requests per minute over the last hour)', () => {
  it('counts each minute in its bucket, the current one included before the minute turns', () => {
    const window = new ActivityWindow();
    const start = 1_000 * MINUTE;
    for (let i = 0; i < 3; i++) window.add(start + i);
    expect(window.perMinute[1_000 % WINDOW_MINUTES]).toBe(3);
    window.add(start + MINUTE, 5);
    window.add(start + MINUTE + 59_999);
    expect(window.lastHour(start + MINUTE)).toBe(9);
    expect(window.perMinute[1_000 % WINDOW_MINUTES]).toBe(3);
    expect(window.perMinute[1_001 % WINDOW_MINUTES]).toBe(6);
    expect(Array.from(window.perMinute).reduce((sum, count) => sum + count, 0)).toBe(9);
  });

  it('forgets the minutes older than an hour and clears the minutes that passed without requests', () => {
    const window = new ActivityWindow();
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
    const window = new ActivityWindow();
    const start = 3_000 * MINUTE;
    window.add(start + 5 * MINUTE);
    window.add(start + 2 * MINUTE);
    expect(window.perMinute[(3_000 + 5) % WINDOW_MINUTES]).toBe(2);
    expect(window.lastHour(start + 5 * MINUTE)).toBe(2);
  });
});
