import { lengthDelimited, ProtoBuffer, tagByte, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './proto-buffer.js';

export type AttributeValue = string | number | boolean;

/**
 * An attribute as a writer writes it: `proto[protoAt …protoAt + protoLength)` after the point's attributes tag,
 * `json` in the point's attributes array. One attribute (EncodedAttribute), or several whose fields are joined for
 * one tag (a series' whole list, a range of a slab: export/series-attributes.ts), which a writer writes the same way.
 */
export interface WireAttribute {
  readonly proto: Uint8Array;
  readonly protoAt: number;
  readonly protoLength: number;
  readonly json: string;
}

/**
 * One attribute (key = value) encoded once, in both wire formats, so that data points copy bytes instead of encoding
 * strings: `proto` is the KeyValue message as a length-prefixed body (the writer puts the field tag in front, which
 * differs between point types), `json` its OTLP/JSON object text.
 */
export class EncodedAttribute implements WireAttribute {
  readonly proto: Uint8Array;
  readonly protoAt = 0;
  readonly protoLength: number;
  readonly json: string;

  constructor(
    readonly key: string,
    readonly value: AttributeValue,
  ) {
    const body = new ProtoBuffer(64);
    const keyBytes = Buffer.from(key, 'utf8');
    const anyValue = encodeAnyValue(value);
    body.ensure(keyBytes.length + anyValue.length + 16);
    body.byte(tagByte(1, WIRE_LEN));
    body.varint(keyBytes.length);
    body.raw(keyBytes);
    body.byte(tagByte(2, WIRE_LEN));
    body.varint(anyValue.length);
    body.raw(anyValue);
    const content = body.take();
    const framed = new ProtoBuffer(content.length + 5);
    framed.varint(content.length);
    framed.raw(content);
    this.proto = framed.take();
    this.protoLength = this.proto.length;
    this.json = `{"key":${JSON.stringify(key)},"value":${jsonAnyValue(value)}}`;
  }
}

/**
 * The SDK's mapping of a JavaScript value to AnyValue: a string, a boolean, an integer (intValue) or any other
 * number (doubleValue).
 */
function encodeAnyValue(value: AttributeValue): Uint8Array {
  const buffer = new ProtoBuffer(32);
  if (typeof value === 'string') return lengthDelimited(1, Buffer.from(value, 'utf8'));
  if (typeof value === 'boolean') {
    buffer.byte(tagByte(2, WIRE_VARINT));
    buffer.byte(value ? 1 : 0);
  } else if (Number.isSafeInteger(value)) {
    // int64 as a varint: a negative value takes ten bytes, its two's complement.
    buffer.byte(tagByte(3, WIRE_VARINT));
    if (value >= 0) buffer.varint(value);
    else writeNegativeVarint(buffer, value);
  } else {
    buffer.byte(tagByte(4, WIRE_I64));
    buffer.double(value);
  }
  return buffer.take();
}

function writeNegativeVarint(buffer: ProtoBuffer, value: number): void {
  let bits = BigInt.asUintN(64, BigInt(value));
  while (bits >= 0x80n) {
    buffer.byte(Number(bits & 0x7fn) | 0x80);
    bits >>= 7n;
  }
  buffer.byte(Number(bits));
}

function jsonAnyValue(value: AttributeValue): string {
  if (typeof value === 'string') return `{"stringValue":${JSON.stringify(value)}}`;
  if (typeof value === 'boolean') return `{"boolValue":${value}}`;
  // int64 is a decimal string in the protobuf JSON mapping.
  if (Number.isSafeInteger(value)) return `{"intValue":"${value}"}`;
  return `{"doubleValue":${jsonDouble(value)}}`;
}

/** A double in the protobuf JSON mapping: a JSON number, or "NaN", "Infinity", "-Infinity" as strings. */
export function jsonDouble(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return '"NaN"';
  return value > 0 ? '"Infinity"' : '"-Infinity"';
}

/** A key's cache stops growing here and starts again empty: label values are capped upstream, this is a backstop. */
const MAX_VALUES_PER_KEY = 65_536;

/**
 * The encoded attributes of one key, by the label's string id: what a caller keeps per label key (method, route,
 * tenant_id…) so that each distinct label value is encoded once per worker, not once per data point. An entry is
 * used only if its value is still the caller's: a tenant slot id that retention gave to another tenant simply
 * re-encodes (comparing the dictionary's own string costs a pointer comparison when unchanged).
 */
export class AttributeKey {
  private readonly byId = new Map<number, EncodedAttribute>();

  constructor(readonly key: string) {}

  get(id: number, value: AttributeValue): EncodedAttribute {
    const cached = this.byId.get(id);
    if (cached !== undefined && cached.value === value) return cached;
    if (this.byId.size >= MAX_VALUES_PER_KEY) this.byId.clear();
    const encoded = new EncodedAttribute(this.key, value);
    this.byId.set(id, encoded);
    return encoded;
  }

  get size(): number {
    return this.byId.size;
  }
}

/** Attributes of a record-like object (the resource's), encoded, in key order as given. */
export function encodeAttributes(attributes: Readonly<Record<string, AttributeValue>>): EncodedAttribute[] {
  return Object.entries(attributes).map(([key, value]) => new EncodedAttribute(key, value));
}

/** The encoder's cache is emptied when it holds this many attributes (label values are capped upstream; a backstop). */
const MAX_CACHED_ATTRIBUTES = 1 << 18;

/**
 * Encodes a data point's attributes (a record of label values) through a cache of key → value → EncodedAttribute,
 * so that each distinct attribute is encoded once per encoder (one per batch: otlp-sender.ts) and a point costs one map lookup per label. The array
 * returned is reused by the next call: a writer reads it during its call only (metrics-writer.ts).
 */
export class AttributeEncoder {
  private readonly byKey = new Map<string, Map<AttributeValue, EncodedAttribute>>();
  private readonly scratch: EncodedAttribute[] = [];
  private cached = 0;

  encode(attributes: Readonly<Record<string, unknown>>): readonly EncodedAttribute[] {
    const out = this.scratch;
    out.length = 0;
    for (const key in attributes) {
      const value = attributes[key];
      // Data points carry scalar labels only; anything else (undefined, arrays) is not an OTLP scalar: left out.
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
      let values = this.byKey.get(key);
      if (values === undefined) {
        values = new Map();
        this.byKey.set(key, values);
      }
      let encoded = values.get(value);
      if (encoded === undefined) {
        if (this.cached >= MAX_CACHED_ATTRIBUTES) {
          for (const cache of this.byKey.values()) cache.clear();
          this.cached = 0;
        }
        encoded = new EncodedAttribute(key, value);
        values.set(value, encoded);
        this.cached++;
      }
      out.push(encoded);
    }
    return out;
  }
}
