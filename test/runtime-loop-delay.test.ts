import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { loopDelaySample } from '../dist/src/runtime/runtime-sampler.js';

const stall = (millis: number) => {
  const until = Date.now() + millis;
  while (Date.now() < until);
};

describe('event-loop delay samples', () => {
  it("loses no stall when the sampler's timer runs before Node's histogram timer after it", async () => {
    // Why the sampler needs its own lateness: a sample (read, then reset) that runs first after a stall makes the
    // histogram forget its previous tick, so the stall's gap is recorded in no sample at all.
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    await new Promise((resolve) => setTimeout(resolve, 55));
    let sampled: ReturnType<typeof loopDelaySample>;
    const stalledAt = performance.now();
    setTimeout(() => {
      // Due before the stall's end, like a sample falling inside it: late by about the stall.
      sampled = loopDelaySample(histogram, (performance.now() - stalledAt) / 1000);
      histogram.reset();
    }, 0);
    stall(120);
    await new Promise((resolve) => setTimeout(resolve, 150));
    histogram.disable();
    expect(histogram.max / 1e9).toBeLessThan(0.1);
    expect(sampled!.p99Seconds).toBeGreaterThanOrEqual(0.1);
  });

  it("takes the histogram's percentiles, the p99 at least the lateness, and reports a stall an empty histogram missed", () => {
    const histogram = (count: number, p50: number, p99: number) => ({
      count,
      percentile: (p: number) => (p === 50 ? p50 : p99) * 1e9,
    });
    expect(loopDelaySample(histogram(12, 0.01, 0.012), 0)).toEqual({ p50Seconds: 0.01, p99Seconds: 0.012 });
    expect(loopDelaySample(histogram(12, 0.01, 0.012), 0.3)).toEqual({ p50Seconds: 0.01, p99Seconds: 0.3 });
    expect(loopDelaySample(histogram(12, 0.01, 0.5), 0.3)).toEqual({ p50Seconds: 0.01, p99Seconds: 0.5 });
    expect(loopDelaySample(histogram(0, 0, 0), 0.25)).toEqual({ p50Seconds: 0.25, p99Seconds: 0.25 });
    expect(loopDelaySample(histogram(0, 0, 0), 0)).toBeUndefined();
  });
});
