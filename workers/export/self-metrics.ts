import {
  DROPPED,
  EXPORTED_DROPPED,
  EXPORTED_LOST,
  EXPORTED_POSSIBLY_DELIVERED,
  EXPORTED_READ_INDEX,
  EXPORTED_REJECTED,
  EXPORTED_SPILL_RECORDS,
  EXPORTED_UNDECODABLE,
  LOST,
  POSSIBLY_DELIVERED,
  REJECTED,
  RESTARTS,
  EXPORTED_RESTARTS,
  UNDECODABLE,
} from '../../src/contract/ring-layout.js';
import type { RingHeader } from '../../src/contract/ring-header.js';
import { METRICS, type MetricDefinition } from '../../src/contract/metrics.js';
import type { Collection } from './collection.js';
import { COMPONENT_TYPE } from './otlp-http.js';

interface Counted {
  total: number;
  exported: number;
}

/**
 * ringmeter's own health, exported with the data: records written, spilled, dropped, rejected and lost (counted from the
 * ring header, whose baselines survive a worker restart), series overflows, and the exporter's results under the
 * OpenTelemetry SDK self-observability names.
 */
export class SelfMetrics {
  private readonly overflowed = new Map<string, Counted>();
  private readonly exportedPoints = new Map<string, Counted>();
  private readonly sqlTextsOverflowed: Counted = { total: 0, exported: 0 };
  private readonly tenantsFolded: Counted = { total: 0, exported: 0 };
  private readonly recordsFolded: Counted = { total: 0, exported: 0 };
  private readonly durations = new Map<
    string,
    { count: number; sum: number; min: number; max: number; counts: number[]; startMillis: number }
  >();
  private startMillis: number;

  constructor(
    private readonly header: RingHeader,
    private readonly shard: number,
    nowMillis: number,
  ) {
    this.startMillis = nowMillis;
  }

  /** Cumulative overflow count of one metric's stores, as the aggregators report it. */
  setOverflowed(metric: string, total: number): void {
    const entry = this.overflowed.get(metric);
    if (entry === undefined) this.overflowed.set(metric, { total, exported: 0 });
    else entry.total = total;
  }

  /** Cumulative count of queries whose SQL text came beyond maxSqlTexts, as the DB aggregator reports it. */
  setSqlTextsOverflowed(total: number): void {
    this.sqlTextsOverflowed.total = total;
  }

  /** Cumulative counts of the memory bound's folding (tenant-admission.ts): tenants folded, records folded. */
  setFolded(tenants: number, records: number): void {
    this.tenantsFolded.total = tenants;
    this.recordsFolded.total = records;
  }

  /** One finished export request: its data points and duration; `errorType` is undefined on success. */
  recordExport(points: number, seconds: number, errorType: string | undefined): void {
    const key = errorType ?? '';
    const entry = this.exportedPoints.get(key);
    if (entry === undefined) this.exportedPoints.set(key, { total: points, exported: 0 });
    else entry.total += points;
    const bounds = METRICS.exporterDuration.boundaries;
    let duration = this.durations.get(key);
    if (duration === undefined) {
      duration = {
        count: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        counts: new Array<number>(bounds.length + 1).fill(0),
        startMillis: this.startMillis,
      };
      this.durations.set(key, duration);
    }
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]) bucket++;
    duration.counts[bucket]++;
    duration.count++;
    duration.sum += seconds;
    duration.min = Math.min(duration.min, seconds);
    duration.max = Math.max(duration.max, seconds);
  }

  /** `readIndex` and `spillRecordsRead`: how far the worker has read the ring and the overflow. */
  collect(collection: Collection, readIndex: number, spillRecordsRead: number): void {
    const header = this.header;
    const now = collection.endMillis;
    const start = this.startMillis;
    const settleStart = () => {
      this.startMillis = now;
    };

    const fromHeader = (
      definition: MetricDefinition,
      attributes: Record<string, string>,
      totalSlot: number,
      baselineSlot: number,
      total = header.load(totalSlot),
      alwaysOnShardZero = true,
    ) => {
      const delta = header.growth(totalSlot, baselineSlot, total);
      // Shard 0 always reports ring counters (zeros included), so the series exist from the first export.
      if (delta === 0 && !(alwaysOnShardZero && this.shard === 0)) return;
      collection.add(definition, attributes, start, delta, {
        commit: () => {
          header.settleBaseline(baselineSlot, total);
          settleStart();
        },
      });
    };
    fromHeader(METRICS.recordsWritten, {}, EXPORTED_READ_INDEX, EXPORTED_READ_INDEX, readIndex);
    fromHeader(METRICS.recordsSpilled, {}, EXPORTED_SPILL_RECORDS, EXPORTED_SPILL_RECORDS, spillRecordsRead);
    fromHeader(METRICS.recordsDropped, { reason: 'ring_full' }, DROPPED, EXPORTED_DROPPED);
    // Never expected (a layout mismatch between the threads): reported only when it happened.
    fromHeader(METRICS.recordsDropped, { reason: 'undecodable' }, UNDECODABLE, EXPORTED_UNDECODABLE, undefined, false);
    fromHeader(METRICS.recordsRejected, { reason: 'invalid_value' }, REJECTED, EXPORTED_REJECTED);
    fromHeader(METRICS.recordsLost, { reason: 'worker_exit' }, LOST, EXPORTED_LOST);
    // Rare (a worker dying mid-request): reported only when it happened.
    fromHeader(
      METRICS.recordsPossiblyDelivered,
      { reason: 'worker_exit' },
      POSSIBLY_DELIVERED,
      EXPORTED_POSSIBLY_DELIVERED,
      undefined,
      false,
    );
    fromHeader(METRICS.workerRestarts, {}, RESTARTS, EXPORTED_RESTARTS);

    for (const [metric, entry] of this.overflowed) addGrowth(collection, METRICS.seriesOverflowed, { metric }, start, entry);
    for (const [errorType, entry] of this.exportedPoints)
      addGrowth(collection, METRICS.exporterPointsExported, exporterAttributes(errorType), start, entry);
    addGrowth(collection, METRICS.sqlTextsOverflowed, {}, start, this.sqlTextsOverflowed);
    addGrowth(collection, METRICS.tenantsFolded, {}, start, this.tenantsFolded);
    addGrowth(collection, METRICS.recordsFolded, {}, start, this.recordsFolded);
    for (const [errorType, duration] of this.durations) {
      if (duration.count === 0) continue;
      // Taken whole: the exporter's own durations restart from zero once accepted, and go back if not.
      this.durations.delete(errorType);
      collection.add(
        METRICS.exporterDuration,
        exporterAttributes(errorType),
        duration.startMillis,
        {
          counts: Uint32Array.from(duration.counts),
          count: duration.count,
          sum: duration.sum,
          min: duration.min,
          max: duration.max,
        },
        {
          commit: () => {},
          abort: () => {
            this.mergeDuration(errorType, duration);
          },
        },
      );
    }
  }

  private mergeDuration(
    errorType: string,
    taken: { count: number; sum: number; min: number; max: number; counts: number[]; startMillis: number },
  ): void {
    const current = this.durations.get(errorType);
    if (current === undefined) {
      // A copy: the taken one may still be read (a GET /metrics render holds its collection while it renders).
      this.durations.set(errorType, { ...taken, counts: [...taken.counts] });
      return;
    }
    current.count += taken.count;
    current.sum += taken.sum;
    current.min = Math.min(current.min, taken.min);
    current.max = Math.max(current.max, taken.max);
    current.startMillis = Math.min(current.startMillis, taken.startMillis);
    taken.counts.forEach((count, i) => {
      current.counts[i] += count;
    });
  }
}

/** Adds a count's growth since its last accepted export, if any; the baseline moves once the batch is accepted. */
function addGrowth(
  collection: Collection,
  definition: MetricDefinition,
  attributes: Record<string, string>,
  start: number,
  entry: Counted,
): void {
  const delta = entry.total - entry.exported;
  if (delta === 0) return;
  const total = entry.total;
  collection.add(definition, attributes, start, delta, {
    commit: () => {
      entry.exported = total;
    },
  });
}

function exporterAttributes(errorType: string): Record<string, string> {
  return errorType === '' ? { 'otel.component.type': COMPONENT_TYPE } : { 'otel.component.type': COMPONENT_TYPE, 'error.type': errorType };
}
