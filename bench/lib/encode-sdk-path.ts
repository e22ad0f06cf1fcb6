import { ValueType, type Attributes } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ExponentialPointView } from '../../workers/aggregation/exponential-histogram-store.js';
import type { WriterIdentity } from '../../workers/export/otlp/metrics-writer.js';
import { BATCH_POINTS, type EncodeFixture, type Encoder } from './encode-fixture.js';

/** The current path: a DataPoint object per point (as Collection.add makes), ResourceMetrics per batch, then the SDK serializer. */
export function sdkEncoder(identity: WriterIdentity, serialize: (metrics: ResourceMetrics) => Uint8Array | undefined): Encoder {
  const resource = resourceFromAttributes(identity.resource);
  return (f, shape) => {
    const bodies: Uint8Array[] = [];
    const endTime = millisToHrTime(f.endMillis);
    let batch = new Map<MetricData, unknown[]>();
    let size = 0;
    const metrics =
      shape === 'counter + histogram' ? [metricData(f, 'counter'), metricData(f, 'histogram')] : [metricData(f, 'exponential')];
    const flush = () => {
      const data = [...batch].map(([metric, dataPoints]) => ({ ...metric, dataPoints }) as MetricData);
      bodies.push(serialize({ resource, scopeMetrics: [{ scope: identity.scope, metrics: data }] }) as Uint8Array);
      batch = new Map();
      size = 0;
    };
    const add = (metric: MetricData, attributes: Attributes, value: unknown) => {
      let points = batch.get(metric);
      if (points === undefined) {
        points = [];
        batch.set(metric, points);
      }
      points.push({ startTime: millisToHrTime(f.startMillis), endTime, attributes, value });
      if (++size >= BATCH_POINTS) flush();
    };
    const label = (id: number) => f.labels[id];
    const view = {} as ExponentialPointView;
    for (const metric of metrics) {
      for (let s = 0; s < f.series; s++) {
        const common = { method: label(f.method[s]), route: label(f.route[s]) };
        if (metric.dataPointType === DataPointType.SUM) {
          add(metric, { ...common, status_code: label(f.status[s]), tenant_id: label(f.tenant[s]) }, f.requests[s]);
        } else if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const h = f.histogram;
          const counts = Array.from(h.counts.subarray(s * h.buckets, (s + 1) * h.buckets));
          const buckets = { boundaries: f.explicit.boundaries as number[], counts };
          add(
            metric,
            { ...common, tenant_id: label(f.tenant[s]) },
            { buckets, count: h.count[s], sum: h.sum[s], min: h.min[s], max: h.max[s] },
          );
        } else {
          const p = f.exponential.readTaken(s + 1, view);
          const bucketCounts = Array.from(p.counts.subarray(p.countsAt, p.countsAt + p.countsLength));
          const value = { count: p.count, sum: p.sum, min: p.min, max: p.max, scale: p.scale, zeroCount: p.zeroCount };
          add(
            metric,
            { ...common, tenant_id: label(f.tenant[s]) },
            { ...value, positive: { offset: p.offset, bucketCounts }, negative: { offset: 0, bucketCounts: [] } },
          );
        }
      }
    }
    if (size > 0) flush();
    return bodies;
  };
}

function metricData(f: EncodeFixture, kind: 'counter' | 'histogram' | 'exponential'): MetricData {
  const definition = kind === 'counter' ? f.counter : kind === 'histogram' ? f.explicit : f.exponentialDefinition;
  const descriptor = {
    name: definition.name,
    description: definition.description,
    unit: definition.unit,
    valueType: kind === 'counter' ? ValueType.INT : ValueType.DOUBLE,
  };
  const base = { descriptor, aggregationTemporality: AggregationTemporality.DELTA, dataPoints: [] };
  if (kind === 'counter') return { ...base, dataPointType: DataPointType.SUM, isMonotonic: true };
  return { ...base, dataPointType: kind === 'histogram' ? DataPointType.HISTOGRAM : DataPointType.EXPONENTIAL_HISTOGRAM } as MetricData;
}
