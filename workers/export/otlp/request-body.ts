import { type Batch, isExponential } from '../collection.js';
import type { AttributeEncoder } from './attributes.js';
import { type MetricsWriter, wireKindOf } from './metrics-writer.js';

/**
 * One batch as an ExportMetricsServiceRequest body: its points metric by metric, delta temporality, every point
 * ending at the collection's end. The writer decides the encoding (protobuf-writer.ts, json-writer.ts).
 */
export function writeRequestBody(batch: Batch, writer: MetricsWriter, encoder: AttributeEncoder): Uint8Array {
  const end = batch.endMillis;
  for (const [definition, points] of batch.points) {
    // One store per metric: its points are all explicit or all exponential histograms.
    writer.beginMetric(definition, wireKindOf(definition, points.length > 0 && isExponential(points[0].value)), 'delta');
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
  return writer.finish();
}
