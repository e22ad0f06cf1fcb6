import type { MetricDefinition } from '../../../src/contract/metrics.js';
import { encodeAttributes, jsonDouble, type WireAttribute } from './attributes.js';
import {
  checkBucketCount,
  CONTENT_TYPES,
  TEMPORALITY,
  type MetricsWriter,
  type Temporality,
  type WireKind,
  type WriterIdentity,
  type ExponentialPointView,
} from './metrics-writer.js';
import { toNanoDecimal } from './unix-nanos.js';

/** Metric.data's JSON key per wire kind. */
const DATA_KEY: Record<WireKind, string> = {
  gauge: 'gauge',
  sumInt: 'sum',
  sumDouble: 'sum',
  histogram: 'histogram',
  exponentialHistogram: 'exponentialHistogram',
};

/** `,"n"` for the bucket counts most points have (small ones): bucket arrays are most of a histogram's text. */
const QUOTED_COUNTS = Array.from({ length: 1_024 }, (_, n) => `,"${n}"`);

function quotedCount(n: number): string {
  return n < QUOTED_COUNTS.length ? QUOTED_COUNTS[n] : `,"${n}"`;
}

/**
 * OTLP/HTTP JSON (application/json) bodies, per the OTLP specification's JSON mapping: lowerCamelCase keys, enums as
 * integers, 64-bit integers (times, counts, asInt) as decimal strings, doubles as JSON numbers (NaN and infinities
 * as strings). Default values are left out, as protobuf's JSON printer does, so that a body and its protobuf twin
 * decode to the same message. The text is built as one string (V8 joins the pieces lazily) and encoded to UTF-8
 * once, in `finish()`.
 */
export class JsonMetricsWriter implements MetricsWriter {
  readonly format = 'json' as const;
  readonly contentType = CONTENT_TYPES.json;
  points = 0;
  private text = '';
  /** Everything before the first metric of a request: resource and scope. */
  private readonly prefix: string;
  /** Per definition: its name, description and unit, and its explicit bounds, as JSON text. */
  private readonly headers = new Map<MetricDefinition, { header: string; bounds: string }>();
  private definition: MetricDefinition | undefined;
  private kind: WireKind = 'gauge';
  private temporality: Temporality = 'delta';
  private requestOpen = false;
  private metricOpen = false;
  /** Points of the open metric in this request: the first one gets no comma. */
  private metricPoints = 0;
  /** The last start and end times converted, and their text: most points of a collection share both. */
  private readonly startCache = { millis: Number.NaN, text: '' };
  private readonly endCache = { millis: Number.NaN, text: '' };

  constructor(identity: WriterIdentity) {
    const resource = encodeAttributes(identity.resource)
      .map((a) => a.json)
      .join(',');
    const scope = [
      identity.scope.name === '' ? '' : `"name":${JSON.stringify(identity.scope.name)}`,
      identity.scope.version === '' ? '' : `"version":${JSON.stringify(identity.scope.version)}`,
    ]
      .filter((part) => part !== '')
      .join(',');
    this.prefix = `{"resourceMetrics":[{"resource":{${resource === '' ? '' : `"attributes":[${resource}]`}},"scopeMetrics":[{"scope":{${scope}},"metrics":[`;
  }

  beginMetric(definition: MetricDefinition, kind: WireKind, temporality: Temporality): void {
    this.closeMetric();
    this.definition = definition;
    this.kind = kind;
    this.temporality = temporality;
  }

  numberPoint(attributes: readonly WireAttribute[], startMillis: number, endMillis: number, value: number): void {
    this.openPoint(attributes, startMillis, endMillis);
    this.text += this.kind === 'sumInt' && Number.isSafeInteger(value) ? `,"asInt":"${value}"}` : `,"asDouble":${jsonDouble(value)}}`;
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
    checkBucketCount(this.definition, bucketCount);
    this.openPoint(attributes, startMillis, endMillis);
    let text = count > 0 ? `,"count":"${count}"` : '';
    text += `,"sum":${jsonDouble(sum)},"bucketCounts":["${counts[countsAt]}"`;
    for (let i = 1; i < bucketCount; i++) text += quotedCount(counts[countsAt + i]);
    text += ']';
    text += this.metricText(this.definition as MetricDefinition).bounds;
    if (count > 0 && Number.isFinite(min) && Number.isFinite(max)) text += `,"min":${jsonDouble(min)},"max":${jsonDouble(max)}`;
    this.text += `${text}}`;
  }

  exponentialHistogramPoint(
    attributes: readonly WireAttribute[],
    startMillis: number,
    endMillis: number,
    point: ExponentialPointView,
  ): void {
    this.openPoint(attributes, startMillis, endMillis);
    const { counts, countsAt, countsLength, count } = point;
    let text = count > 0 ? `,"count":"${count}"` : '';
    text += `,"sum":${jsonDouble(point.sum)}`;
    if (point.scale !== 0) text += `,"scale":${point.scale}`;
    if (point.zeroCount > 0) text += `,"zeroCount":"${point.zeroCount}"`;
    if (countsLength > 0) {
      text += `,"positive":{${point.offset !== 0 ? `"offset":${point.offset},` : ''}"bucketCounts":["${counts[countsAt]}"`;
      for (let i = 1; i < countsLength; i++) text += quotedCount(counts[countsAt + i]);
      text += ']}';
    }
    if (count > 0 && Number.isFinite(point.min) && Number.isFinite(point.max))
      text += `,"min":${jsonDouble(point.min)},"max":${jsonDouble(point.max)}`;
    this.text += `${text}}`;
  }

  finish(): Uint8Array {
    this.closeMetric();
    // Nothing written: an empty request, as the protobuf writer's empty body is.
    const body = Buffer.from(this.requestOpen ? `${this.text}]}]}]}` : '{}', 'utf8');
    this.text = '';
    this.requestOpen = false;
    this.points = 0;
    return body;
  }

  /** Opens request and metric as needed, then writes a point's attributes and times, leaving its object open. */
  private openPoint(attributes: readonly WireAttribute[], startMillis: number, endMillis: number): void {
    if (!this.metricOpen) this.openMetric();
    let text = this.metricPoints++ === 0 ? '{' : ',{';
    if (attributes.length > 0) {
      text += `"attributes":[${attributes[0].json}`;
      for (let i = 1; i < attributes.length; i++) text += `,${attributes[i].json}`;
      text += '],';
    }
    this.text += `${text}"startTimeUnixNano":"${nanos(this.startCache, startMillis)}","timeUnixNano":"${nanos(this.endCache, endMillis)}"`;
    this.points++;
  }

  private openMetric(): void {
    const definition = this.definition;
    if (definition === undefined) throw new Error('a data point was written before any beginMetric');
    if (this.requestOpen) {
      this.text += ',';
    } else {
      this.text += this.prefix;
      this.requestOpen = true;
    }
    const { header } = this.metricText(definition);
    this.text += `{${header},"${DATA_KEY[this.kind]}":{"dataPoints":[`;
    this.metricOpen = true;
    this.metricPoints = 0;
  }

  private metricText(definition: MetricDefinition): { header: string; bounds: string } {
    let text = this.headers.get(definition);
    if (text === undefined) {
      const header = [
        `"name":${JSON.stringify(definition.name)}`,
        definition.description === '' ? '' : `"description":${JSON.stringify(definition.description)}`,
        definition.unit === '' ? '' : `"unit":${JSON.stringify(definition.unit)}`,
      ]
        .filter((part) => part !== '')
        .join(',');
      const boundaries = definition.boundaries ?? [];
      const bounds = boundaries.length === 0 ? '' : `,"explicitBounds":[${boundaries.map(jsonDouble).join(',')}]`;
      text = { header, bounds };
      this.headers.set(definition, text);
    }
    return text;
  }

  private closeMetric(): void {
    if (!this.metricOpen) return;
    let trailer = ']';
    if (this.kind !== 'gauge') trailer += `,"aggregationTemporality":${TEMPORALITY[this.temporality]}`;
    if (this.kind === 'sumInt' || this.kind === 'sumDouble') trailer += ',"isMonotonic":true';
    this.text += `${trailer}}}`;
    this.metricOpen = false;
  }
}

function nanos(cache: { millis: number; text: string }, millis: number): string {
  if (millis !== cache.millis) {
    cache.millis = millis;
    cache.text = toNanoDecimal(millis);
  }
  return cache.text;
}
