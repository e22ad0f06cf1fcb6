import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { LoopDelayMonitor } from './loop-delay.js';
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
  /** Delays of the event loop since the last sample (loop-delay.ts). */
  private readonly loopDelay = new LoopDelayMonitor();

  constructor(
    private readonly ring: RingWriter,
    intervalMillis: number,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMillis);
    this.timer.unref();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.recordGc(entry);
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
    this.observer.disconnect();
    this.loopDelay.stop();
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
    const delay = this.loopDelay.take();
    if (delay !== undefined) {
      this.write(RUNTIME_EVENT_LOOP_DELAY_P50, delay.p50Seconds);
      this.write(RUNTIME_EVENT_LOOP_DELAY_P99, delay.p99Seconds);
    }
  }

  private recordGc(entry: PerformanceEntry): void {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
    this.ring.write(tag(KIND_RUNTIME, RUNTIME_GC, gcTypeId(kind)), EMPTY_ID, SYSTEM_ID, EMPTY_ID, entry.duration / 1000, 0, 0);
  }

  private write(sample: number, value: number): void {
    if (Number.isFinite(value) && value >= 0) this.ring.write(tag(KIND_RUNTIME, sample, 0), EMPTY_ID, SYSTEM_ID, EMPTY_ID, value, 0, 0);
  }
}
