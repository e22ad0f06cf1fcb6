import { PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { pointsNamed, startPipeline, waitFor } from './support/harness.js';

describe('runtime (app_*) metrics', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('exports memory, CPU, event-loop delay and GC pauses of the process, the main thread and the worker', async () => {
    ({ collector, receiver } = await startPipeline({ metrics: { runtime: true }, runtimeMetricsIntervalMillis: 100 }));
    // The first flush returns once the worker runs; CPU is sampled over the interval that follows.
    await collector.flush();
    // Make garbage until the main thread has had a GC pause to report. A fixed amount of garbage is not enough: in a
    // fork that has run other files first, the young generation may have grown past it (CI saw no GC at all).
    expect(await makeGarbageUntilCollected()).toBeGreaterThan(0);
    // Block the event loop for 120 ms: a sample after it must show it in its p99 delay. Which one is up to the
    // machine (the sample due inside the stall runs first when it ends, the stall lands in the one after it:
    // loop-delay.ts), so exports are polled for it, not timed.
    const blockedUntil = Date.now() + 120;
    while (Date.now() < blockedUntil);
    const delays = () => pointsNamed(receiver.points, 'app_event_loop_delay_seconds');
    const p99s = () => delays().filter((p) => p.attributes.quantile === '0.99');
    const worstDelay = () => Math.max(0, ...p99s().map((p) => p.value ?? 0));
    const flushed = async () => {
      await collector.flush();
      return worstDelay() >= 0.1;
    };
    await waitFor(flushed, 10_000, 'an export showing the stall');
    const memory = pointsNamed(receiver.points, 'app_memory_usage_bytes');
    const byLabels = (processType: string, memoryType: string) =>
      memory.filter((p) => p.attributes.process_type === processType && p.attributes.memory_type === memoryType).at(-1)?.value ?? 0;
    expect(byLabels('process', 'rss')).toBeGreaterThan(10 * 1024 * 1024);
    expect(byLabels('main', 'heap_used')).toBeGreaterThan(1024 * 1024);
    expect(byLabels('main', 'heap_total')).toBeGreaterThanOrEqual(byLabels('main', 'heap_used'));
    expect(byLabels('metrics_worker', 'heap_used')).toBeGreaterThan(0);
    expect(memory.every((p) => p.type === 'gauge' && p.unit === 'By')).toBe(true);

    const cpu = pointsNamed(receiver.points, 'app_cpu_usage_percent');
    const processTypes = new Set(cpu.map((p) => p.attributes.process_type));
    expect(processTypes.has('process')).toBe(true);
    if (process.platform === 'linux') {
      expect(processTypes.has('main')).toBe(true);
      expect(processTypes.has('metrics_worker')).toBe(true);
    }
    for (const point of cpu) expect(point.value).toBeGreaterThanOrEqual(0);

    const delay = delays();
    expect(new Set(delay.map((p) => p.attributes.quantile))).toEqual(new Set(['0.5', '0.99']));
    expect(delay.every((p) => p.type === 'gauge' && p.unit === 's')).toBe(true);
    expect(worstDelay()).toBeGreaterThanOrEqual(0.1);

    const gc = pointsNamed(receiver.points, 'app_gc_duration_seconds');
    expect(gc.length).toBeGreaterThan(0);
    expect(gc.reduce((sum, p) => sum + (p.count ?? 0), 0)).toBeGreaterThan(0);
    expect(gc.every((p) => ['minor', 'major', 'incremental', 'weakcb', 'unknown'].includes(p.attributes.gc_type as string))).toBe(true);
  });

  it('records nothing of it when disabled', async () => {
    ({ collector, receiver } = await startPipeline({ metrics: { runtime: false } }));
    await collector.flush();
    expect(receiver.points.filter((p) => p.metric.startsWith('app_'))).toEqual([]);
  });
});

/** Allocates short-lived objects, yielding between batches, until a GC entry is observed; returns the batches made. */
async function makeGarbageUntilCollected(): Promise<number> {
  let collected = false;
  const observer = new PerformanceObserver(() => {
    collected = true;
  });
  observer.observe({ entryTypes: ['gc'] });
  let batches = 0;
  try {
    while (!collected) {
      let keep = 0;
      for (let i = 0; i < 100_000; i++) keep += { value: i, text: `x${i}` }.text.length;
      if (keep > 0) batches++;
      // The observer's callback (and the sampler's) runs on a later turn of the event loop.
      await nextTurn();
    }
  } finally {
    observer.disconnect();
  }
  return batches;
}
