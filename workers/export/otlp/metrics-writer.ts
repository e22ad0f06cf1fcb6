import type { MetricDefinition } from '../../../src/contract/metrics.js';
import type { AttributeValue, WireAttribute } from './attributes.js';

/**
 * One taken data point, as a writer reads it: filled in place by `ExponentialHistogramStore.readTaken`, so that
 * encoding needs no object per point. Bucket `offset + i` holds `counts[countsAt + i]` for i < `countsLength`.
 * Defined here, by its reader: the store (aggregation/exponential-histogram-store.ts) fills it.
 */
export interface ExponentialPointView {
  scale: number;
  count: number;
  zeroCount: number;
  sum: number;
  min: number;
  max: number;
  offset: number;
  counts: Uint32Array;
  countsAt: number;
  countsLength: number;
}

/** OTEL_EXPORTER_OTLP_PROTOCOL's two HTTP values, by the encoding each names. */
export type WireFormat = 'protobuf' | 'json';

/** The wire format an `otlp.protocol` names. */
export function wireFormatOf(protocol: 'http/protobuf' | 'http/json'): WireFormat {
  return protocol === 'http/json' ? 'json' : 'protobuf';
}

export const CONTENT_TYPES: Readonly<Record<WireFormat, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** AggregationTemporality in OTLP: the enum's integer values (OTLP/JSON writes enums as integers). */
export const TEMPORALITY = { delta: 1, cumulative: 2 } as const;
export type Temporality = keyof typeof TEMPORALITY;

/**
 * What a metric's data points are on the wire: a monotonic sum of integers or of doubles, a gauge (doubles), an
 * explicit-bucket histogram, or a base-2 exponential histogram.
 */
export type WireKind = 'sumInt' | 'sumDouble' | 'gauge' | 'histogram' | 'exponentialHistogram';

/** The wire kind the current export path gives a definition (collection.ts: a counter is INT unless its unit is '1'). */
export function wireKindOf(definition: MetricDefinition, exponentialHistograms: boolean): WireKind {
  switch (definition.kind) {
    case 'counter':
      return definition.unit !== '1' ? 'sumInt' : 'sumDouble';
    case 'gauge':
      return 'gauge';
    case 'histogram':
      return exponentialHistograms ? 'exponentialHistogram' : 'histogram';
  }
}

export interface InstrumentationScope {
  name: string;
  version: string;
}

/** What every request of a writer carries once, encoded once when the writer is made. */
export interface WriterIdentity {
  resource: Readonly<Record<string, AttributeValue>>;
  scope: InstrumentationScope;
}

/**
 * Writes OTLP ExportMetricsServiceRequest bodies straight from typed-array columns: no object per data point, no
 * SDK data model. One interface, two encodings (protobuf-writer.ts, json-writer.ts), so the collection that drives
 * it does not know which one it feeds.
 *
 * Use: `beginMetric`, then its points, then the next metric; `finish()` returns the request body and empties the
 * writer. Cutting batches is the caller's: when `points` reaches the batch size, `finish()` and send; the current
 * metric continues in the next request without another `beginMetric`. A metric without points writes nothing.
 *
 * Attributes come as an array of encoded attributes (attributes.ts: AttributeKey caches one per label value id),
 * read during the call only: a caller may reuse one array for every point. Times are milliseconds since the epoch
 * (fractions down to the microsecond are kept); they go out as nanoseconds.
 */
export interface MetricsWriter {
  readonly format: WireFormat;
  /** The Content-Type of the bodies: application/x-protobuf or application/json. */
  readonly contentType: string;
  /** Data points written since the last `finish()`. */
  readonly points: number;

  /** Starts a metric. `temporality` is ignored for gauges, which have none. */
  beginMetric(definition: MetricDefinition, kind: WireKind, temporality: Temporality): void;

  /**
   * A sum or gauge point. For a 'sumInt' metric a safe integer goes out as asInt, anything else as asDouble (the
   * value's own field is chosen per point, so a fraction is never rounded away).
   */
  numberPoint(attributes: readonly WireAttribute[], startMillis: number, endMillis: number, value: number): void;

  /**
   * An explicit-bucket histogram point, its bucket counts read from `counts[countsAt …countsAt + bucketCount)`;
   * the bounds are the metric definition's `boundaries` (bucketCount must be one more). min and max go out when
   * `count` > 0 and they are finite.
   */
  histogramPoint(
    attributes: readonly WireAttribute[],
    startMillis: number,
    endMillis: number,
    count: number,
    sum: number,
    min: number,
    max: number,
    counts: Uint32Array,
    countsAt: number,
    bucketCount: number,
  ): void;

  /** A base-2 exponential histogram point, positive range and zero bucket only (ExponentialHistogramStore.readTaken). */
  exponentialHistogramPoint(
    attributes: readonly WireAttribute[],
    startMillis: number,
    endMillis: number,
    point: ExponentialPointView,
  ): void;

  /** The request body of everything written since the last `finish()` (a fresh copy), and the writer emptied. */
  finish(): Uint8Array;
}

/** Checks a histogram point's bucket count against its metric's boundaries, naming the metric when they disagree. */
export function checkBucketCount(definition: MetricDefinition | undefined, bucketCount: number): readonly number[] {
  if (definition === undefined) throw new Error('a data point was written before any beginMetric');
  const bounds = definition.boundaries ?? [];
  if (bucketCount !== bounds.length + 1)
    throw new RangeError(
      `${definition.name}: ${bucketCount} bucket counts for ${bounds.length} boundaries (expected ${bounds.length + 1})`,
    );
  return bounds;
}
