import type { Attributes } from '@opentelemetry/api';
import type { MetricDefinition } from '../../src/contract/metrics.js';
import type { ExponentialPointView } from './otlp/metrics-writer.js';
import { type RunSpec, SeriesRun } from './series-run.js';

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
 * Settles the points of one store series each (export-helpers.ts): one object per store and export instead of a
 * closure per point. It reads what the point carried (its value, series and start) from the point itself.
 */
export interface PointSettler {
  commit(point: DataPoint, endMillis: number): void;
  abort?(point: DataPoint): void;
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
  /** Settles this point when its source is a store series (no per-point Settlement then). */
  readonly settler: PointSettler | undefined;
}

const STEPS_PER_PROGRESS = 4_096;

/**
 * One export request: at most `batchSize` data points, grouped by metric, and the settlements of their sources.
 * Every point of a batch ends at the collection's `endMillis`. A store series' point is in a run (columns, no object:
 * series-run.ts); any other point is a DataPoint in `points`.
 */
export class Batch {
  readonly points = new Map<MetricDefinition, DataPoint[]>();
  readonly runs: SeriesRun[] = [];
  readonly settlements: Settlement[] = [];
  /** The metrics of the batch in the order their first point came, runs and points alike. */
  readonly metrics: MetricDefinition[] = [];
  size = 0;

  constructor(readonly endMillis: number) {}

  commit(): void {
    for (const settlement of this.settlements) settlement.commit();
    const end = this.endMillis;
    for (const run of this.runs) run.commit(end);
    for (const points of this.points.values()) for (const point of points) point.settler?.commit(point, end);
  }

  abort(): void {
    for (const settlement of this.settlements) settlement.abort?.();
    for (const run of this.runs) run.abort();
    for (const points of this.points.values()) for (const point of points) point.settler?.abort?.(point);
  }

  /**
   * Every point of the batch as a DataPoint (runs made into objects, their attributes read now): for the readers off
   * the export's hot path (the console, a GET /metrics render, a deferred absorb). Call it while the runs' series
   * still hold the keys they were collected under (before the batch settles, or right after).
   */
  allPoints(): Map<MetricDefinition, DataPoint[]> {
    const all = new Map<MetricDefinition, DataPoint[]>();
    for (const definition of this.metrics) all.set(definition, [...(this.points.get(definition) ?? [])]);
    for (const run of this.runs) {
      const points = all.get(run.spec.definition) as DataPoint[];
      const { spec } = run;
      for (let i = 0; i < run.length; i++) {
        const series = run.series[i];
        const value: PointValue =
          spec.kind === 'number'
            ? run.values[i]
            : {
                counts: run.buckets.slice(i * spec.buckets, (i + 1) * spec.buckets),
                count: run.counts[i],
                sum: run.values[i],
                min: run.mins[i],
                max: run.maxs[i],
              };
        points.push({
          attributes: spec.attributes.attributesOf(series),
          startMillis: run.starts[i],
          value,
          source: spec.store,
          series,
          settler: undefined,
        });
      }
    }
    return all;
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
  /** The run the last store point went to, and its batch: the next point of the same spec and batch joins it. */
  private lastRun: SeriesRun | undefined;
  private lastRunBatch: Batch | undefined;

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
    this.pointsOf(definition).push({ attributes, startMillis, value, source, series, settler: undefined });
    if (settlement !== undefined) this.current?.settlements.push(settlement);
  }

  /** The one point of store series `series` for this metric, settled by `settler` when its batch's fate is known. */
  addSeries(
    definition: MetricDefinition,
    attributes: Attributes,
    startMillis: number,
    value: PointValue,
    settler: PointSettler,
    source: PointSource,
    series: number,
  ): void {
    this.pointsOf(definition).push({ attributes, startMillis, value, source, series, settler });
  }

  /**
   * A point of store series `series` for `spec`'s metric, value `value` (a histogram's sum): the run it went to is
   * returned, the point at its `length - 1`, for the caller to fill a histogram's other columns.
   */
  addRunPoint(spec: RunSpec, series: number, startMillis: number, value: number): SeriesRun {
    const batch = this.batchOfNext();
    let run = this.lastRun;
    if (run === undefined || run.spec !== spec || this.lastRunBatch !== batch) {
      run = new SeriesRun(spec);
      if (!batch.points.has(spec.definition) && !batch.runs.some((other) => other.spec.definition === spec.definition))
        batch.metrics.push(spec.definition);
      batch.runs.push(run);
      this.lastRun = run;
      this.lastRunBatch = batch;
    }
    run.push(series, startMillis, value);
    return run;
  }

  /** The point list of `definition` in the batch the next point goes to (`current`), that point counted. */
  private pointsOf(definition: MetricDefinition): DataPoint[] {
    const batch = this.batchOfNext();
    let points = batch.points.get(definition);
    if (points === undefined) {
      points = [];
      if (!batch.runs.some((run) => run.spec.definition === definition)) batch.metrics.push(definition);
      batch.points.set(definition, points);
    }
    return points;
  }

  /** The batch the next point goes to, that point counted: a new one when the current one is full. */
  private batchOfNext(): Batch {
    let batch = this.current;
    if (batch === undefined || batch.size >= this.batchSize) {
      batch = new Batch(this.endMillis);
      this.batches.push(batch);
      this.current = batch;
    }
    batch.size++;
    return batch;
  }
}
