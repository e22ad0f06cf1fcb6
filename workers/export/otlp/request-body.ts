import { type Batch, type DataPoint, isExponential } from '../collection.js';
import type { SeriesRun } from '../series-run.js';
import type { AttributeEncoder } from './attributes.js';
import { type MetricsWriter, wireKindOf } from './metrics-writer.js';

/**
 * One batch as an ExportMetricsServiceRequest body: its points metric by metric, delta temporality, every point
 * ending at the collection's end. The writer decides the encoding (protobuf-writer.ts, json-writer.ts).
 *
 * A store's points (runs) are written from their columns, each series' attributes from what was encoded at its
 * first export (series-attributes.ts: bytes for protobuf, text for JSON).
 */
export function writeRequestBody(batch: Batch, writer: MetricsWriter, encoder: AttributeEncoder): Uint8Array {
  for (const definition of batch.metrics) {
    const points = batch.points.get(definition);
    // One store per metric: its points are all explicit or all exponential histograms.
    writer.beginMetric(
      definition,
      wireKindOf(definition, points !== undefined && points.length > 0 && isExponential(points[0].value)),
      'delta',
    );
    for (const run of batch.runs) if (run.spec.definition === definition) writeRun(run, batch.endMillis, writer, encoder);
    if (points !== undefined) writePoints(points, batch.endMillis, writer, encoder);
  }
  return writer.finish();
}

function writeRun(run: SeriesRun, end: number, writer: MetricsWriter, encoder: AttributeEncoder): void {
  const { spec, series, starts, values } = run;
  const cached = spec.attributes;
  const protobuf = writer.format === 'protobuf';
  if (spec.kind === 'number') {
    for (let i = 0; i < run.length; i++) {
      const attributes = protobuf ? cached.protobuf(series[i], encoder) : cached.json(series[i], encoder);
      writer.numberPoint(attributes, starts[i], end, values[i]);
    }
    return;
  }
  const { counts, mins, maxs, buckets } = run;
  const width = spec.buckets;
  for (let i = 0; i < run.length; i++) {
    const attributes = protobuf ? cached.protobuf(series[i], encoder) : cached.json(series[i], encoder);
    writer.histogramPoint(attributes, starts[i], end, counts[i], values[i], mins[i], maxs[i], buckets, i * width, width);
  }
}

function writePoints(points: readonly DataPoint[], end: number, writer: MetricsWriter, encoder: AttributeEncoder): void {
  for (const point of points) {
    const attributes = encoder.encode(point.attributes);
    const value = point.value;
    if (typeof value === 'number') {
      writer.numberPoint(attributes, point.startMillis, end, value);
    } else if (isExponential(value)) {
      writer.exponentialHistogramPoint(attributes, point.startMillis, end, value);
    } else {
      const { counts } = value;
      writer.histogramPoint(attributes, point.startMillis, end, value.count, value.sum, value.min, value.max, counts, 0, counts.length);
    }
  }
}
