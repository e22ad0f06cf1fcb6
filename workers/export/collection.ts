import type { Attributes } from '@opentelemetry/api';
import type { MetricDefinition } from '../../src/contract/metrics.js';
import type { ExponentialPointView } from './otlp/metrics-writer.js';

/** What happens to a data point's source once its batch's fate is known. */
export interface Settlement {
  /** The backend accepted the batch: move baselines and start times forward. */
  commit(): void;
  /** The batch failed: give back what was taken (min and max), so the next export carries it. */
  abort?(): void;
}

/**
 * An explicit-bucket histogram's delta: `counts` has one more entry than the metric definition's boundaries (the
 * OpenTelemetry convention, see histogram-store.ts). A copy, owned by the point.
 */
export interface HistogramValue {
  readonly counts: Uint32Array;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/**
 * A base-2 exponential histogram's delta (positive range and zero bucket): bucket `offset + i` holds `counts[i]`.
 * Shaped as the writer's ExponentialPointView (countsAt 0), so that it is written as it is. A copy, owned by the point.
 */
export interface ExponentialValue extends ExponentialPointView {
  readonly countsAt: 0;
}

/** A sum's or gauge's number, or a histogram's delta (explicit buckets or base-2 exponential). */
export type PointValue = number | HistogramValue | ExponentialValue;

export function isExponential(value: PointValue): value is ExponentialValue {
  return typeof value === 'object' && 'scale' in value;
}

/**
 * A series store as a point names its source (aggregation/series-store.ts): the key words of series s are
 * `keys[s * keyWords …]`. The GET /metrics totals find a point's cell by it (totals-family.ts).
 */
export interface PointSource {
  readonly keyWords: number;
  readonly keys: Uint32Array;
}

/**
 * One collected data point: its attributes, the start of the interval it covers, its value, and the store series
 * it came from (`source` undefined and `series` -1 for a point of no store, or of several points per series).
 */
export interface DataPoint {
  readonly attributes: Attributes;
  readonly startMillis: number;
  readonly value: PointValue;
  readonly source: PointSource | undefined;
  readonly series: number;
}

const STEPS_PER_PROGRESS = 4_096;

/**
 * One export request: at most `batchSize` data points, grouped by metric, and the settlements of their sources.
 * Every point of a batch ends at the collection's `endMillis`.
 */
export class Batch {
  readonly points = new Map<MetricDefinition, DataPoint[]>();
  readonly settlements: Settlement[] = [];
  size = 0;

  constructor(readonly endMillis: number) {}

  commit(): void {
    for (const settlement of this.settlements) settlement.commit();
  }

  abort(): void {
    for (const settlement of this.settlements) settlement.abort?.();
  }
}

/**
 * The data points of one export, cut into batches as they are added. Aggregators add a point with the settlement
 * that moves their baselines; nothing moves until the batch that carries the point is accepted.
 */
export class Collection {
  readonly batches: Batch[] = [];
  readonly endMillis: number;
  private current: Batch | undefined;
  private steps = 0;

  /**
   * `onProgress` runs every STEPS_PER_PROGRESS series visited: the shard drains its ring there, so that collecting
   * a large number of series never leaves the ring unattended long enough to fill. That is safe: a record that
   * lands in a series already collected stays pending for the next export (what a point settles is exactly what
   * it carried), and one that lands in a series not yet visited is carried now.
   */
  constructor(
    private readonly batchSize: number,
    endMillis: number,
    private readonly onProgress?: () => void,
  ) {
    this.endMillis = endMillis;
  }

  /** Called once per series visited. */
  step(): void {
    if (++this.steps % STEPS_PER_PROGRESS === 0) this.onProgress?.();
  }

  /** `source` and `series`: the store series the point is the one point of for this metric, if any. */
  add(
    definition: MetricDefinition,
    attributes: Attributes,
    startMillis: number,
    value: PointValue,
    settlement?: Settlement,
    source?: PointSource,
    series = -1,
  ): void {
    let batch = this.current;
    if (batch === undefined || batch.size >= this.batchSize) {
      batch = new Batch(this.endMillis);
      this.batches.push(batch);
      this.current = batch;
    }
    let points = batch.points.get(definition);
    if (points === undefined) {
      points = [];
      batch.points.set(definition, points);
    }
    points.push({ attributes, startMillis, value, source, series });
    batch.size++;
    if (settlement !== undefined) batch.settlements.push(settlement);
  }
}
