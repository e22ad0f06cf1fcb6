import type { MetricDefinition } from '../../../src/contract/metrics.js';
import type { EncodedAttribute, WireAttribute } from './attributes.js';
import { TEMPORALITY, type Temporality, type WireKind } from './metrics-writer.js';
import { concatBytes, ProtoBuffer, stringField, tagByte, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './proto-buffer.js';
import { type NanoWords, toNanoWords } from './unix-nanos.js';

/** The OTLP field encoders the protobuf writer composes: per metric, per attribute, per time and extreme. */

/** Both ends of one metric's encoding that do not depend on its points: written once per writer. */
export interface MetricParts {
  /** name, description, unit (Metric fields 1–3). */
  header: Uint8Array;
  /** The data message's fields after its points: aggregation_temporality, is_monotonic. */
  trailer: Uint8Array;
  /** HistogramDataPoint.explicit_bounds (field 7, packed doubles), for histograms. */
  bounds: Uint8Array;
  kind: WireKind;
  temporality: Temporality;
}

export function encodeMetricParts(definition: MetricDefinition, kind: WireKind, temporality: Temporality): MetricParts {
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

export function attributeField(field: number, attribute: EncodedAttribute): Uint8Array {
  return concatBytes([Uint8Array.of(tagByte(field, WIRE_LEN)), attribute.proto]);
}

export function attributesSize(attributes: readonly WireAttribute[]): number {
  let size = 0;
  for (let i = 0; i < attributes.length; i++) size += 1 + attributes[i].protoLength;
  return size;
}

export function writeAttributes(buffer: ProtoBuffer, tag: number, attributes: readonly WireAttribute[]): void {
  for (let i = 0; i < attributes.length; i++) {
    buffer.byte(tag);
    const attribute = attributes[i];
    buffer.rawRange(attribute.proto, attribute.protoAt, attribute.protoLength);
  }
}

export interface TimeCache extends NanoWords {
  millis: number;
}

export function writeTime(buffer: ProtoBuffer, tag: number, cache: TimeCache, millis: number): void {
  if (millis !== cache.millis) {
    toNanoWords(millis, cache);
    cache.millis = millis;
  }
  buffer.byte(tag);
  buffer.fixed64(cache.low, cache.high);
}

/** min and max (optional doubles) at fields `field` and `field + 1`. */
export function writeExtremes(buffer: ProtoBuffer, field: number, min: number, max: number): void {
  buffer.byte(tagByte(field, WIRE_I64));
  buffer.double(min);
  buffer.byte(tagByte(field + 1, WIRE_I64));
  buffer.double(max);
}
