import type { Attributes } from '@opentelemetry/api';
import type { Reservations } from '../memory-budget.js';
import type { AttributeEncoder, WireAttribute } from './otlp/attributes.js';
import { HISTOGRAM_ATTRIBUTE_TAG, NUMBER_ATTRIBUTE_TAG } from './otlp/protobuf-writer.js';

/** What one cached entry costs beyond its bytes: the Uint8Array object and its slot (docs/architecture.md, "Memory accounting"). */
const ENTRY_OVERHEAD_BYTES = 96;
const NO_ATTRIBUTES: readonly WireAttribute[] = [];

/** A cached JSON text's cost: two bytes a character (V8 may hold it in one, but not always) and an entry. */
function jsonBytes(text: string): number {
  return text.length * 2 + ENTRY_OVERHEAD_BYTES;
}

/**
 * The protobuf bytes of each series' attribute list, encoded at the series' first export and reused at every export
 * after it, for one metric's points of one store (a side table of the store: SeriesStore.sideTable, which tells it
 * when a series is removed, before its number is reused). What a point then costs the protobuf writer for its
 * attributes is one copy of bytes: no attributes object, no lookup per label.
 *
 * The bytes are the KeyValue messages, each behind the point message's attributes tag `tag`, joined so that a writer
 * writing the tag and then the bytes writes the whole list (a WireAttribute standing for several: otlp/attributes.ts).
 * For OTLP/JSON the same, as text: the attributes' objects joined (`json`). Entries are charged to the worker's
 * memory budget; one the budget refuses is encoded for the export and not kept.
 */
export class SeriesAttributes {
  /** The attributes of series s (the overflow series' included), set by the collection of each export. */
  attributesOf: (series: number) => Attributes = () => ({});
  private bySeries: (Uint8Array | undefined)[] = [];
  /** OTLP/JSON's text of each series' list (made only when a JSON writer asks): `{…},{…}`, UTF-16 in memory. */
  private jsonBySeries: (string | undefined)[] = [];
  private chargedBytes = 0;
  /** The one-element list a writer is handed: reused point after point (a writer reads it during its call only). */
  private readonly wire: WireAttribute[] = [{ proto: new Uint8Array(0), json: '' }];

  /** The attributes tag of the point message: NumberDataPoint's or HistogramDataPoint's. */
  private readonly tag: number;

  constructor(
    private readonly budget: Reservations,
    kind: 'number' | 'histogram',
  ) {
    this.tag = kind === 'number' ? NUMBER_ATTRIBUTE_TAG : HISTOGRAM_ATTRIBUTE_TAG;
  }

  /** Series s's attributes as the protobuf writer takes them, encoded through `encoder` the first time. */
  protobuf(series: number, encoder: AttributeEncoder): readonly WireAttribute[] {
    let bytes = this.bySeries[series];
    if (bytes === undefined) {
      bytes = this.encode(series, encoder);
      if (this.budget.tryReserve(bytes.length + ENTRY_OVERHEAD_BYTES)) {
        this.chargedBytes += bytes.length + ENTRY_OVERHEAD_BYTES;
        this.bySeries[series] = bytes;
      }
    }
    if (bytes.length === 0) return NO_ATTRIBUTES;
    const wire = this.wire[0] as { proto: Uint8Array };
    wire.proto = bytes;
    return this.wire;
  }

  /** Series s's attributes as the JSON writer takes them, their text made through `encoder` the first time. */
  json(series: number, encoder: AttributeEncoder): readonly WireAttribute[] {
    let text = this.jsonBySeries[series];
    if (text === undefined) {
      const attributes = encoder.encode(this.attributesOf(series));
      text = attributes.map((attribute) => attribute.json).join(',');
      if (this.budget.tryReserve(jsonBytes(text))) {
        this.chargedBytes += jsonBytes(text);
        this.jsonBySeries[series] = text;
      }
    }
    if (text === '') return NO_ATTRIBUTES;
    const wire = this.wire[0] as { json: string };
    wire.json = text;
    return this.wire;
  }

  forget(series: number): void {
    const bytes = this.bySeries[series];
    if (bytes !== undefined) {
      this.bySeries[series] = undefined;
      this.chargedBytes -= bytes.length + ENTRY_OVERHEAD_BYTES;
      this.budget.release(bytes.length + ENTRY_OVERHEAD_BYTES);
    }
    const text = this.jsonBySeries[series];
    if (text !== undefined) {
      this.jsonBySeries[series] = undefined;
      this.chargedBytes -= jsonBytes(text);
      this.budget.release(jsonBytes(text));
    }
  }

  /** Bytes charged to the budget for the entries held now. */
  get bytes(): number {
    return this.chargedBytes;
  }

  /**
   * The list's fields joined: KeyValue 1, tag, KeyValue 2, tag, … (the first tag is the writer's), each KeyValue as
   * EncodedAttribute.proto has it (length-prefixed).
   */
  private encode(series: number, encoder: AttributeEncoder): Uint8Array {
    const attributes = encoder.encode(this.attributesOf(series));
    if (attributes.length === 0) return new Uint8Array(0);
    let size = attributes.length - 1;
    for (const attribute of attributes) size += attribute.proto.length;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (let i = 0; i < attributes.length; i++) {
      if (i > 0) bytes[at++] = this.tag;
      bytes.set(attributes[i].proto, at);
      at += attributes[i].proto.length;
    }
    return bytes;
  }
}
