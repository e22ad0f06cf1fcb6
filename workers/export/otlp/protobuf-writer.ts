import type { MetricDefinition } from '../../../src/contract/metrics.js';
import type { ExponentialPointView } from '../../aggregation/exponential-histogram-store.js';
import { encodeAttributes, type EncodedAttribute } from './attributes.js';
import {
  checkBucketCount,
  CONTENT_TYPES,
  TEMPORALITY,
  type MetricsWriter,
  type Temporality,
  type WireKind,
  type WriterIdentity,
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
import { nanoWords, toNanoWords } from './unix-nanos.js';

/** Metric.data's field number per wire kind (opentelemetry/proto/metrics/v1/metrics.proto). */
const DATA_FIELD: Record<WireKind, number> = { gauge: 5, sumInt: 7, sumDouble: 7, histogram: 9, exponentialHistogram: 10 };
/** The attributes field of each point message: 7 in NumberDataPoint, 9 in HistogramDataPoint, 1 in ExponentialHistogramDataPoint. */
const NUMBER_ATTRIBUTE_TAG = tagByte(7, WIRE_LEN);
const HISTOGRAM_ATTRIBUTE_TAG = tagByte(9, WIRE_LEN);
const EXPONENTIAL_ATTRIBUTE_TAG = tagByte(1, WIRE_LEN);
const POINT_TAG = tagByte(1, WIRE_LEN);
/** start_time_unix_nano, time_unix_nano (fields 2 and 3, fixed64): tag and eight bytes each. */
const TIMES_BYTES = 18;
const START_TAG = tagByte(2, WIRE_I64);
const TIME_TAG = tagByte(3, WIRE_I64);

/** Both ends of one metric's encoding that do not depend on its points: written once per writer. */
interface MetricParts {
  /** name, description, unit (Metric fields 1–3). */
  header: Uint8Array;
  /** The data message's fields after its points: aggregation_temporality, is_monotonic. */
  trailer: Uint8Array;
  /** HistogramDataPoint.explicit_bounds (field 7, packed doubles), for histograms. */
  bounds: Uint8Array;
  kind: WireKind;
  temporality: Temporality;
}

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
  private definition: MetricDefinition | undefined;
  private kind: WireKind = 'gauge';
  private temporality: Temporality = 'delta';
  /** Open length marks: the request's resource metrics and scope metrics, then the metric and its data. */
  private requestMarks: number[] = [];
  private metricMarks: number[] = [];

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
  }

  numberPoint(attributes: readonly EncodedAttribute[], startMillis: number, endMillis: number, value: number): void {
    this.openMetric();
    const asInt = this.kind === 'sumInt' && Number.isSafeInteger(value);
    const size = attributesSize(attributes) + TIMES_BYTES + 9;
    const buffer = this.startPoint(size);
    writeAttributes(buffer, NUMBER_ATTRIBUTE_TAG, attributes);
    writeTimes(buffer, startMillis, endMillis);
    if (asInt) {
      buffer.byte(tagByte(6, WIRE_I64));
      buffer.sfixed64Number(value);
    } else {
      buffer.byte(tagByte(4, WIRE_I64));
      buffer.double(value);
    }
  }

  histogramPoint(
    attributes: readonly EncodedAttribute[],
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
    checkBucketCount(this.definition, bucketCount);
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
    writeTimes(buffer, startMillis, endMillis);
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
    attributes: readonly EncodedAttribute[],
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
    writeTimes(buffer, startMillis, endMillis);
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

function encodeMetricParts(definition: MetricDefinition, kind: WireKind, temporality: Temporality): MetricParts {
  const header = concatBytes([stringField(1, definition.name), stringField(2, definition.description), stringField(3, definition.unit)]);
  const trailer = new ProtoBuffer(8);
  if (kind !== 'gauge') {
    trailer.byte(tagByte(2, WIRE_VARINT));
    trailer.byte(TEMPORALITY[temporality]);
  }
  if (kind === 'sumInt' || kind === 'sumDouble') {
    trailer.byte(tagByte(3, WIRE_VARINT));
    trailer.byte(1);
  }
  const boundaries = kind === 'histogram' ? (definition.boundaries ?? []) : [];
  const bounds = new ProtoBuffer(boundaries.length * 8 + 8);
  if (boundaries.length > 0) {
    bounds.byte(tagByte(7, WIRE_LEN));
    bounds.varint(boundaries.length * 8);
    for (const bound of boundaries) bounds.double(bound);
  }
  return { header, trailer: trailer.take(), bounds: bounds.take(), kind, temporality };
}

function attributeField(field: number, attribute: EncodedAttribute): Uint8Array {
  return concatBytes([Uint8Array.of(tagByte(field, WIRE_LEN)), attribute.proto]);
}

function attributesSize(attributes: readonly EncodedAttribute[]): number {
  let size = 0;
  for (let i = 0; i < attributes.length; i++) size += 1 + attributes[i].proto.length;
  return size;
}

function writeAttributes(buffer: ProtoBuffer, tag: number, attributes: readonly EncodedAttribute[]): void {
  for (let i = 0; i < attributes.length; i++) {
    buffer.byte(tag);
    buffer.raw(attributes[i].proto);
  }
}

function writeTimes(buffer: ProtoBuffer, startMillis: number, endMillis: number): void {
  toNanoWords(startMillis);
  buffer.byte(START_TAG);
  buffer.fixed64(nanoWords.low, nanoWords.high);
  toNanoWords(endMillis);
  buffer.byte(TIME_TAG);
  buffer.fixed64(nanoWords.low, nanoWords.high);
}

/** min and max (optional doubles) at fields `field` and `field + 1`. */
function writeExtremes(buffer: ProtoBuffer, field: number, min: number, max: number): void {
  buffer.byte(tagByte(field, WIRE_I64));
  buffer.double(min);
  buffer.byte(tagByte(field + 1, WIRE_I64));
  buffer.double(max);
}
