import type { MetricDefinition } from '../../../src/contract/metrics.js';
import { encodeAttributes, type WireAttribute } from './attributes.js';
import {
  checkBucketCount,
  CONTENT_TYPES,
  type MetricsWriter,
  type Temporality,
  type WireKind,
  type WriterIdentity,
  type ExponentialPointView,
} from './metrics-writer.js';
import {
  concatBytes,
  lengthDelimited,
  ProtoBuffer,
  stringField,
  tagByte,
  varintSize,
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
  zigzag32,
} from './proto-buffer.js';
import {
  attributeField,
  attributesSize,
  encodeMetricParts,
  type MetricParts,
  type TimeCache,
  writeAttributes,
  writeExtremes,
  writeTime,
} from './protobuf-fields.js';

/** Metric.data's field number per wire kind (opentelemetry/proto/metrics/v1/metrics.proto). */
const DATA_FIELD: Record<WireKind, number> = { gauge: 5, sumInt: 7, sumDouble: 7, histogram: 9, exponentialHistogram: 10 };
/** The attributes field of each point message: 7 in NumberDataPoint, 9 in HistogramDataPoint, 1 in ExponentialHistogramDataPoint. */
export const NUMBER_ATTRIBUTE_TAG = tagByte(7, WIRE_LEN);
export const HISTOGRAM_ATTRIBUTE_TAG = tagByte(9, WIRE_LEN);
const EXPONENTIAL_ATTRIBUTE_TAG = tagByte(1, WIRE_LEN);
const POINT_TAG = tagByte(1, WIRE_LEN);
/** start_time_unix_nano, time_unix_nano (fields 2 and 3, fixed64): tag and eight bytes each. */
const TIMES_BYTES = 18;
const START_TAG = tagByte(2, WIRE_I64);
const TIME_TAG = tagByte(3, WIRE_I64);

/**
 * OTLP/HTTP protobuf (application/x-protobuf) bodies of ExportMetricsServiceRequest, written field by field into one
 * buffer. A data point's size is computed before it is written, so its length prefix goes first and nothing moves;
 * only the four enclosing messages (resource metrics, scope metrics, metric, its data) have their lengths filled in
 * at their end. Proto3 default values (zeros, false, empty strings) are left out, as protobuf encoders do.
 */
export class ProtobufMetricsWriter implements MetricsWriter {
  readonly format = 'protobuf' as const;
  readonly contentType = CONTENT_TYPES.protobuf;
  points = 0;
  private readonly buffer = new ProtoBuffer();
  /** ResourceMetrics.resource and ScopeMetrics.scope, whole fields. */
  private readonly resource: Uint8Array;
  private readonly scope: Uint8Array;
  private readonly parts = new Map<MetricDefinition, MetricParts>();
  /** The current metric's parts and the bucket count its histogram points were checked with (-1: none yet). */
  private currentParts: MetricParts | undefined;
  private checkedBuckets = -1;
  private definition: MetricDefinition | undefined;
  private kind: WireKind = 'gauge';
  private temporality: Temporality = 'delta';
  /** Open length marks: the request's resource metrics and scope metrics, then the metric and its data. */
  private requestMarks: number[] = [];
  private metricMarks: number[] = [];
  /** The last start and end times converted: most points of a collection share both. */
  private readonly startCache: TimeCache = { millis: Number.NaN, low: 0, high: 0 };
  private readonly endCache: TimeCache = { millis: Number.NaN, low: 0, high: 0 };

  constructor(identity: WriterIdentity) {
    const resourceBody = concatBytes(encodeAttributes(identity.resource).map((a) => attributeField(1, a)));
    this.resource = lengthDelimited(1, resourceBody);
    this.scope = lengthDelimited(1, concatBytes([stringField(1, identity.scope.name), stringField(2, identity.scope.version)]));
  }

  beginMetric(definition: MetricDefinition, kind: WireKind, temporality: Temporality): void {
    this.closeMetric();
    this.definition = definition;
    this.kind = kind;
    this.temporality = temporality;
    this.currentParts = undefined;
    this.checkedBuckets = -1;
  }

  numberPoint(attributes: readonly WireAttribute[], startMillis: number, endMillis: number, value: number): void {
    this.openMetric();
    const asInt = this.kind === 'sumInt' && Number.isSafeInteger(value);
    const size = attributesSize(attributes) + TIMES_BYTES + 9;
    const buffer = this.startPoint(size);
    writeAttributes(buffer, NUMBER_ATTRIBUTE_TAG, attributes);
    this.writeTimes(startMillis, endMillis);
    if (asInt) {
      buffer.byte(tagByte(6, WIRE_I64));
      buffer.sfixed64Number(value);
    } else {
      buffer.byte(tagByte(4, WIRE_I64));
      buffer.double(value);
    }
  }

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
  ): void {
    // Checked once per metric and bucket count, not per point: a metric's points all have its boundaries.
    if (bucketCount !== this.checkedBuckets) {
      checkBucketCount(this.definition, bucketCount);
      this.checkedBuckets = bucketCount;
    }
    this.openMetric();
    const bounds = this.metricParts().bounds;
    const countsBytes = bucketCount * 8;
    const extremes = count > 0 && Number.isFinite(min) && Number.isFinite(max);
    const size =
      attributesSize(attributes) +
      TIMES_BYTES +
      (count > 0 ? 9 : 0) +
      9 +
      (1 + varintSize(countsBytes) + countsBytes) +
      bounds.length +
      (extremes ? 18 : 0);
    const buffer = this.startPoint(size);
    writeAttributes(buffer, HISTOGRAM_ATTRIBUTE_TAG, attributes);
    this.writeTimes(startMillis, endMillis);
    if (count > 0) {
      buffer.byte(tagByte(4, WIRE_I64));
      buffer.fixed64Number(count);
    }
    buffer.byte(tagByte(5, WIRE_I64));
    buffer.double(sum);
    buffer.byte(tagByte(6, WIRE_LEN));
    buffer.varint(countsBytes);
    for (let i = 0; i < bucketCount; i++) buffer.fixed64(counts[countsAt + i], 0);
    buffer.raw(bounds);
    if (extremes) writeExtremes(buffer, 11, min, max);
  }

  exponentialHistogramPoint(
    attributes: readonly WireAttribute[],
    startMillis: number,
    endMillis: number,
    point: ExponentialPointView,
  ): void {
    if (this.definition === undefined) throw new Error('a data point was written before any beginMetric');
    this.openMetric();
    const { counts, countsAt, countsLength, count, zeroCount, scale, offset } = point;
    let countsBytes = 0;
    for (let i = 0; i < countsLength; i++) countsBytes += varintSize(counts[countsAt + i]);
    // Buckets message: offset (sint32, left out when 0) and the packed varint counts.
    const bucketsSize =
      countsLength === 0 ? 0 : (offset !== 0 ? 1 + varintSize(zigzag32(offset)) : 0) + 1 + varintSize(countsBytes) + countsBytes;
    const extremes = count > 0 && Number.isFinite(point.min) && Number.isFinite(point.max);
    const size =
      attributesSize(attributes) +
      TIMES_BYTES +
      (count > 0 ? 9 : 0) +
      9 +
      (scale !== 0 ? 1 + varintSize(zigzag32(scale)) : 0) +
      (zeroCount > 0 ? 9 : 0) +
      (countsLength > 0 ? 1 + varintSize(bucketsSize) + bucketsSize : 0) +
      (extremes ? 18 : 0);
    const buffer = this.startPoint(size);
    writeAttributes(buffer, EXPONENTIAL_ATTRIBUTE_TAG, attributes);
    this.writeTimes(startMillis, endMillis);
    if (count > 0) {
      buffer.byte(tagByte(4, WIRE_I64));
      buffer.fixed64Number(count);
    }
    buffer.byte(tagByte(5, WIRE_I64));
    buffer.double(point.sum);
    if (scale !== 0) {
      buffer.byte(tagByte(6, WIRE_VARINT));
      buffer.varint(zigzag32(scale));
    }
    if (zeroCount > 0) {
      buffer.byte(tagByte(7, WIRE_I64));
      buffer.fixed64Number(zeroCount);
    }
    if (countsLength > 0) {
      buffer.byte(tagByte(8, WIRE_LEN));
      buffer.varint(bucketsSize);
      if (offset !== 0) {
        buffer.byte(tagByte(1, WIRE_VARINT));
        buffer.varint(zigzag32(offset));
      }
      buffer.byte(tagByte(2, WIRE_LEN));
      buffer.varint(countsBytes);
      for (let i = 0; i < countsLength; i++) buffer.varint(counts[countsAt + i]);
    }
    if (extremes) writeExtremes(buffer, 12, point.min, point.max);
  }

  finish(): Uint8Array {
    this.closeMetric();
    const buffer = this.buffer;
    // Scope metrics, then resource metrics: innermost first, as lengths nest.
    for (let mark = this.requestMarks.pop(); mark !== undefined; mark = this.requestMarks.pop()) buffer.closeLength(mark);
    this.points = 0;
    return buffer.take();
  }

  private writeTimes(startMillis: number, endMillis: number): void {
    writeTime(this.buffer, START_TAG, this.startCache, startMillis);
    writeTime(this.buffer, TIME_TAG, this.endCache, endMillis);
  }

  /** Writes the point's tag and length, with room for its `size` bytes. */
  private startPoint(size: number): ProtoBuffer {
    const buffer = this.buffer;
    buffer.ensure(size + 6);
    buffer.byte(POINT_TAG);
    buffer.varint(size);
    this.points++;
    return buffer;
  }

  /** Opens the request (on its first point) and the current metric (on its first point in this request). */
  private openMetric(): void {
    if (this.metricMarks.length > 0) return;
    if (this.definition === undefined) throw new Error('a data point was written before any beginMetric');
    const buffer = this.buffer;
    if (this.requestMarks.length === 0) {
      // ExportMetricsServiceRequest.resource_metrics (1) → ResourceMetrics { resource (1), scope_metrics (2) → { scope (1), metrics (2) } }
      buffer.ensure(16 + this.resource.length + this.scope.length);
      buffer.byte(tagByte(1, WIRE_LEN));
      this.requestMarks.push(buffer.openLength());
      buffer.raw(this.resource);
      buffer.byte(tagByte(2, WIRE_LEN));
      this.requestMarks.push(buffer.openLength());
      buffer.raw(this.scope);
    }
    const parts = this.metricParts();
    buffer.ensure(16 + parts.header.length);
    buffer.byte(tagByte(2, WIRE_LEN));
    this.metricMarks.push(buffer.openLength());
    buffer.raw(parts.header);
    buffer.byte(tagByte(DATA_FIELD[this.kind], WIRE_LEN));
    this.metricMarks.push(buffer.openLength());
  }

  private closeMetric(): void {
    if (this.metricMarks.length === 0) return;
    const trailer = this.metricParts().trailer;
    this.buffer.ensure(trailer.length);
    this.buffer.raw(trailer);
    this.buffer.closeLength(this.metricMarks.pop() as number);
    this.buffer.closeLength(this.metricMarks.pop() as number);
  }

  private metricParts(): MetricParts {
    if (this.currentParts !== undefined) return this.currentParts;
    this.currentParts = this.partsOf();
    return this.currentParts;
  }

  private partsOf(): MetricParts {
    const definition = this.definition as MetricDefinition;
    let parts = this.parts.get(definition);
    // Cached per definition, for the kind and temporality it was last written with.
    if (parts === undefined || parts.kind !== this.kind || parts.temporality !== this.temporality) {
      parts = encodeMetricParts(definition, this.kind, this.temporality);
      this.parts.set(definition, parts);
    }
    return parts;
  }
}
