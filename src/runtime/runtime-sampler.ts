import { monitorEventLoopDelay, type IntervalHistogram, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import {
  KIND_RUNTIME,
  RUNTIME_EXTERNAL_BYTES,
  RUNTIME_GC,
  RUNTIME_HEAP_TOTAL_BYTES,
  RUNTIME_HEAP_USED_BYTES,
  RUNTIME_PROCESS_CPU_PERCENT,
  RUNTIME_RSS_BYTES,
  RUNTIME_THREAD_CPU_PERCENT,
  tag,
  gcTypeId,
  RUNTIME_EVENT_LOOP_DELAY_P50,
  RUNTIME_EVENT_LOOP_DELAY_P99,
} from '../contract/codes.js';
import type { RingWriter } from '../ring/ring-writer.js';
import { EMPTY_ID, SYSTEM_ID } from '../contract/strings-layout.js';
import { threadCpuSeconds } from './thread-cpu.js';

/**
 * Samples the main thread's runtime for the app_* metrics: memory and CPU on a timer, every GC pause as it is
 * reported. Each sample is one ring record; the worker keeps the gauges and the GC histogram. The timer is
 * unref'd and the observer holds no handle, so neither keeps the process alive.
 */
export class RuntimeSampler {
  private readonly timer: NodeJS.Timeout;
  private readonly observer: PerformanceObserver;
  private lastCpu = process.cpuUsage();
  private lastThreadCpu = threadCpuSeconds();
  private lastMillis = performance.now();
  /** When the last sample ran: how late this one is says how long the loop was just blocked. */
  private lastSampleMillis = performance.now();
  /** Delays of the event loop since the last sample (reset at each), sampled by Node every 10 ms. */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly ring: RingWriter,
    private readonly intervalMillis: number,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMillis);
    this.timer.unref();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.recordGc(entry);
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.loopDelay.enable();
    this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
    this.observer.disconnect();
    this.loopDelay.disable();
  }

  private sample(): void {
    const memory = process.memoryUsage();
    this.write(RUNTIME_RSS_BYTES, memory.rss);
    this.write(RUNTIME_HEAP_USED_BYTES, memory.heapUsed);
    this.write(RUNTIME_HEAP_TOTAL_BYTES, memory.heapTotal);
    this.write(RUNTIME_EXTERNAL_BYTES, memory.external);
    const now = performance.now();
    const elapsedSeconds = (now - this.lastMillis) / 1000;
    if (elapsedSeconds > 0.05) {
      const cpu = process.cpuUsage(this.lastCpu);
      this.write(RUNTIME_PROCESS_CPU_PERCENT, ((cpu.user + cpu.system) / 1e6 / elapsedSeconds) * 100);
      const threadCpu = threadCpuSeconds();
      if (threadCpu !== undefined && this.lastThreadCpu !== undefined) {
        this.write(RUNTIME_THREAD_CPU_PERCENT, ((threadCpu - this.lastThreadCpu) / elapsedSeconds) * 100);
      }
      this.lastCpu = process.cpuUsage();
      this.lastThreadCpu = threadCpu;
      this.lastMillis = now;
    }
    // Node's histogram records the gap between two of its own timer callbacks, and reset() forgets the previous
    // one: when this sample's timer runs first after a stall, the stall's gap is never recorded. This sample
    // being late by as much is the same stall, seen from this timer, so it is the floor of the interval's delays.
    const lateSeconds = Math.max(0, now - this.lastSampleMillis - this.intervalMillis) / 1000;
    this.lastSampleMillis = now;
    const delay = loopDelaySample(this.loopDelay, lateSeconds);
    if (delay !== undefined) {
      this.write(RUNTIME_EVENT_LOOP_DELAY_P50, delay.p50Seconds);
      this.write(RUNTIME_EVENT_LOOP_DELAY_P99, delay.p99Seconds);
    }
    // Reset so that each sample covers its own interval.
    this.loopDelay.reset();
  }

  private recordGc(entry: PerformanceEntry): void {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
    this.ring.write(tag(KIND_RUNTIME, RUNTIME_GC, gcTypeId(kind)), EMPTY_ID, SYSTEM_ID, EMPTY_ID, entry.duration / 1000, 0, 0);
  }

  private write(sample: number, value: number): void {
    if (Number.isFinite(value) && value >= 0) this.ring.write(tag(KIND_RUNTIME, sample, 0), EMPTY_ID, SYSTEM_ID, EMPTY_ID, value, 0, 0);
  }
}

/**
 * One interval's event-loop delay: the histogram's p50 and p99 (nanoseconds in it), the p99 at least the stall
 * the sampler's own lateness shows (`lateSeconds`), which the histogram may have missed; undefined when neither
 * saw anything.
 */
export function loopDelaySample(
  histogram: Pick<IntervalHistogram, 'count' | 'percentile'>,
  lateSeconds: number,
): { p50Seconds: number; p99Seconds: number } | undefined {
  if (histogram.count === 0) return lateSeconds > 0 ? { p50Seconds: lateSeconds, p99Seconds: lateSeconds } : undefined;
  return { p50Seconds: histogram.percentile(50) / 1e9, p99Seconds: Math.max(histogram.percentile(99) / 1e9, lateSeconds) };
}
