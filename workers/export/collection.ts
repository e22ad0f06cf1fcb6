import { ValueType, type Attributes } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { MetricDefinition } from '../../src/contract/metrics.js';

/** What happens to a data point's source once its batch's fate is known. */
export interface Settlement {
  /** The backend accepted the batch: move baselines and start times forward. */
  commit(): void;
  /** The batch failed: give back what was taken (min and max), so the next export carries it. */
  abort?(): void;
}

type Point = DataPoint<number> | DataPoint<Histogram>;

const STEPS_PER_PROGRESS = 4_096;

/** One export request: at most `batchSize` data points, and the settlements of their sources. */
export class Batch {
  readonly points = new Map<MetricDefinition, Point[]>();
  readonly settlements: Settlement[] = [];
  size = 0;

  toResourceMetrics(resource: Resource, scope: { name: string; version: string }): ResourceMetrics {
    const metrics: MetricData[] = [];
    for (const [definition, dataPoints] of this.points) metrics.push(metricData(definition, dataPoints));
    return { resource, scopeMetrics: [{ scope, metrics }] };
  }

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
  private readonly endTime;
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
    this.endTime = millisToHrTime(endMillis);
  }

  /** Called once per series visited. */
  step(): void {
    if (++this.steps % STEPS_PER_PROGRESS === 0) this.onProgress?.();
  }

  add(definition: MetricDefinition, attributes: Attributes, startMillis: number, value: number | Histogram, settlement?: Settlement): void {
    let batch = this.current;
    if (batch === undefined || batch.size >= this.batchSize) {
      batch = new Batch();
      this.batches.push(batch);
      this.current = batch;
    }
    let points = batch.points.get(definition);
    if (points === undefined) {
      points = [];
      batch.points.set(definition, points);
    }
    points.push({ startTime: millisToHrTime(startMillis), endTime: this.endTime, attributes, value } as Point);
    batch.size++;
    if (settlement !== undefined) batch.settlements.push(settlement);
  }
}

function metricData(definition: MetricDefinition, dataPoints: Point[]): MetricData {
  const descriptor = {
    name: definition.name,
    description: definition.description,
    unit: definition.unit,
    valueType: definition.kind === 'counter' && definition.unit !== '1' ? ValueType.INT : ValueType.DOUBLE,
  };
  switch (definition.kind) {
    case 'counter':
      return {
        descriptor,
        aggregationTemporality: AggregationTemporality.DELTA,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: dataPoints as DataPoint<number>[],
      };
    case 'gauge':
      return {
        descriptor,
        aggregationTemporality: AggregationTemporality.DELTA,
        dataPointType: DataPointType.GAUGE,
        dataPoints: dataPoints as DataPoint<number>[],
      };
    case 'histogram':
      return {
        descriptor,
        aggregationTemporality: AggregationTemporality.DELTA,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: dataPoints as DataPoint<Histogram>[],
      };
    default:
      throw new TypeError(`unknown metric kind ${String((definition as MetricDefinition).kind)}`);
  }
}
