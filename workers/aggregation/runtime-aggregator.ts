import { RECORD_FLOATS, RECORD_WORDS, TAG, VALUE_FLOAT } from '../../src/contract/ring-layout.js';
import {
  RUNTIME_EXTERNAL_BYTES,
  RUNTIME_GC,
  RUNTIME_HEAP_TOTAL_BYTES,
  RUNTIME_HEAP_USED_BYTES,
  RUNTIME_PROCESS_CPU_PERCENT,
  RUNTIME_RSS_BYTES,
  RUNTIME_THREAD_CPU_PERCENT,
  gcTypeName,
  RUNTIME_EVENT_LOOP_DELAY_P50,
  RUNTIME_EVENT_LOOP_DELAY_P99,
  tagCode,
  tagDetail,
} from '../../src/contract/codes.js';
import { METRICS } from '../../src/contract/metrics.js';
import { threadCpuSeconds } from '../../src/runtime/thread-cpu.js';
import type { Collection } from '../export/collection.js';
import { collectHistogram } from './export-helpers.js';
import { HistogramStore } from './histogram-store.js';
import type { MemoryBudget } from '../memory-budget.js';

/** Which gauge each main-thread sample sets. */
const MAIN_SAMPLES: Record<number, { metric: 'appMemoryUsage' | 'appCpuUsage' | 'appEventLoopDelay'; attributes: Record<string, string> }> =
  {
    [RUNTIME_RSS_BYTES]: { metric: 'appMemoryUsage', attributes: { process_type: 'process', memory_type: 'rss' } },
    [RUNTIME_HEAP_USED_BYTES]: { metric: 'appMemoryUsage', attributes: { process_type: 'main', memory_type: 'heap_used' } },
    [RUNTIME_HEAP_TOTAL_BYTES]: { metric: 'appMemoryUsage', attributes: { process_type: 'main', memory_type: 'heap_total' } },
    [RUNTIME_EXTERNAL_BYTES]: { metric: 'appMemoryUsage', attributes: { process_type: 'main', memory_type: 'external' } },
    [RUNTIME_PROCESS_CPU_PERCENT]: { metric: 'appCpuUsage', attributes: { process_type: 'process' } },
    [RUNTIME_THREAD_CPU_PERCENT]: { metric: 'appCpuUsage', attributes: { process_type: 'main' } },
    [RUNTIME_EVENT_LOOP_DELAY_P50]: { metric: 'appEventLoopDelay', attributes: { quantile: '0.5' } },
    [RUNTIME_EVENT_LOOP_DELAY_P99]: { metric: 'appEventLoopDelay', attributes: { quantile: '0.99' } },
  };

/**
 * The app_* metrics: the main thread's samples as last-value gauges, its GC pauses as a histogram, and this
 * worker's own heap and CPU, sampled at export time.
 */
export class RuntimeAggregator {
  private readonly latest = new Map<number, number>();
  /** Event-loop delay samples that arrived since the last successful export (their value is the worst of them). */
  private readonly worstSinceExport = new Set<number>();
  /**
   * The worst delay sample that arrived after the running export collected: its commit must not forget it. Without
   * this, a stall sampled while an export is in flight was raised into `latest` and then wiped by that export's
   * commit, never exported.
   */
  private readonly worstSinceCollect = new Map<number, number>();
  private readonly gc: HistogramStore;
  private lastThreadCpu = threadCpuSeconds();
  private lastCollectMillis: number;

  constructor(
    maxSeries: number,
    budget: MemoryBudget,
    nowMillis: number,
    private readonly idleMillis: number,
  ) {
    this.gc = new HistogramStore(1, METRICS.appGcDuration.boundaries, Math.min(maxSeries, 16), budget, nowMillis);
    this.lastCollectMillis = nowMillis;
  }

  consume(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number): void {
    const tagWord = words[slot * RECORD_WORDS + TAG];
    const sample = tagDetail(tagWord);
    const value = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    if (sample === RUNTIME_GC) this.gc.record(this.gc.seriesOf(tagCode(tagWord), 0, 0, nowMillis), value);
    else if (sample === RUNTIME_EVENT_LOOP_DELAY_P50 || sample === RUNTIME_EVENT_LOOP_DELAY_P99) {
      // The worst sample since the last export: a stall between two exports must not hide behind a calm last sample.
      this.latest.set(sample, Math.max(this.worstSinceExport.has(sample) ? (this.latest.get(sample) ?? 0) : 0, value));
      this.worstSinceExport.add(sample);
      this.worstSinceCollect.set(sample, Math.max(this.worstSinceCollect.get(sample) ?? 0, value));
    } else this.latest.set(sample, value);
  }

  /**
   * configure() switched runtime metrics off: the main thread's last samples are dropped (the hand-over export
   * carried them), so that switching back on shows fresh values only, never ones from before the gap.
   */
  forgetSamples(): void {
    this.latest.clear();
    this.worstSinceExport.clear();
    this.worstSinceCollect.clear();
  }

  /** Adds the GC pauses pending and, with `gauges` (runtime metrics on), the gauges: the samples and this worker's own. */
  collect(collection: Collection, gauges = true): void {
    const now = collection.endMillis;
    if (gauges) this.collectGauges(collection, now);
    else {
      // The next CPU share covers the time since now, not the gap.
      this.lastThreadCpu = threadCpuSeconds();
      this.lastCollectMillis = now;
    }
    collectHistogram(collection, METRICS.appGcDuration, this.gc, this.idleMillis, (s) => ({
      gc_type: gcTypeName(this.gc.keys[s]),
    }));
  }

  private collectGauges(collection: Collection, now: number): void {
    this.worstSinceCollect.clear();
    for (const [sample, value] of this.latest) {
      const target = MAIN_SAMPLES[sample];
      if (target === undefined) continue;
      // Once exported, the next delay sample starts a new worst (from what came in while the export ran); kept if
      // the export fails.
      collection.add(METRICS[target.metric], target.attributes, now, value, {
        commit: () => {
          const arrivedSince = this.worstSinceCollect.get(sample);
          if (arrivedSince === undefined) this.worstSinceExport.delete(sample);
          else this.latest.set(sample, arrivedSince);
        },
      });
    }
    const memory = process.memoryUsage();
    collection.add(METRICS.appMemoryUsage, { process_type: 'metrics_worker', memory_type: 'heap_used' }, now, memory.heapUsed);
    collection.add(METRICS.appMemoryUsage, { process_type: 'metrics_worker', memory_type: 'heap_total' }, now, memory.heapTotal);
    const threadCpu = threadCpuSeconds();
    const elapsedSeconds = (now - this.lastCollectMillis) / 1000;
    if (threadCpu !== undefined && this.lastThreadCpu !== undefined && elapsedSeconds > 0.05) {
      collection.add(
        METRICS.appCpuUsage,
        { process_type: 'metrics_worker' },
        now,
        ((threadCpu - this.lastThreadCpu) / elapsedSeconds) * 100,
      );
    }
    this.lastThreadCpu = threadCpu;
    this.lastCollectMillis = now;
  }
}
