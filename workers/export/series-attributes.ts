import type { Attributes } from '@opentelemetry/api';
import type { Reservations } from '../memory-budget.js';
import type { AttributeEncoder, WireAttribute } from './otlp/attributes.js';
import { HISTOGRAM_ATTRIBUTE_TAG, NUMBER_ATTRIBUTE_TAG } from './otlp/protobuf-writer.js';

const NO_ATTRIBUTES: readonly WireAttribute[] = [];
/** The slab's first size; it doubles from there (and is repacked when half of it is forgotten lists). */
const INITIAL_SLAB_BYTES = 4_096;
const INITIAL_SERIES = 64;
/** What a cached JSON text costs beyond 2 bytes a character: the string's header and its slot. */
const JSON_ENTRY_OVERHEAD_BYTES = 40;

/**
 * The protobuf bytes of each series' attribute list, encoded at the series' first export and reused at every export
 * after it, for one metric's points of one store (a side table of the store: SeriesStore.sideTable, which tells it
 * when a series is removed, before its number is reused). What a point then costs the protobuf writer for its
 * attributes is one copy of bytes: no attributes object, no lookup per label.
 *
 * A list is the KeyValue messages, each behind the point message's attributes tag, joined so that a writer writing
 * the tag and then the list writes all of them (a WireAttribute standing for several: otlp/attributes.ts). Lists
 * live in one slab, series s's at `at[s]`, `lengths[s]` bytes (-1: none): no object per series. The slab and the
 * two columns are charged to the worker's memory budget as they grow, as the stores' columns are; a forgotten list
 * leaves a hole until the slab is repacked (when it would grow with half of it holes). A list the budget refuses is
 * encoded at each export instead of kept.
 *
 * For OTLP/JSON the same, as text (`json`: the attributes' objects joined, a string per series, made only when a
 * JSON writer asks; the slower path, JSON being the fallback protocol).
 */
export class SeriesAttributes {
  /** The attributes of series s (the overflow series' included), set by the collection of each export. */
  attributesOf: (series: number) => Attributes = () => ({});
  private slab = new Uint8Array(0);
  private used = 0;
  private holes = 0;
  private at = new Int32Array(0);
  private lengths = new Int32Array(0);
  private jsonBySeries: (string | undefined)[] = [];
  private chargedBytes = 0;
  /** The one-element list a writer is handed: reused point after point (a writer reads it during its call only). */
  private readonly wire: { proto: Uint8Array; protoAt: number; protoLength: number; json: string }[] = [
    { proto: this.slab, protoAt: 0, protoLength: 0, json: '' },
  ];
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
    const wire = this.wire[0];
    if (series < this.lengths.length && this.lengths[series] >= 0) {
      if (this.lengths[series] === 0) return NO_ATTRIBUTES;
      wire.proto = this.slab;
      wire.protoAt = this.at[series];
      wire.protoLength = this.lengths[series];
      return this.wire;
    }
    const bytes = this.encode(series, encoder);
    if (bytes.length === 0) return NO_ATTRIBUTES;
    if (this.keep(series, bytes)) {
      wire.proto = this.slab;
      wire.protoAt = this.at[series];
    } else {
      wire.proto = bytes;
      wire.protoAt = 0;
    }
    wire.protoLength = bytes.length;
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
    this.wire[0].json = text;
    return this.wire;
  }

  forget(series: number): void {
    if (series < this.lengths.length && this.lengths[series] >= 0) {
      this.holes += this.lengths[series];
      this.lengths[series] = -1;
    }
    const text = this.jsonBySeries[series];
    if (text !== undefined) {
      this.jsonBySeries[series] = undefined;
      this.chargedBytes -= jsonBytes(text);
      this.budget.release(jsonBytes(text));
    }
  }

  /** Bytes charged to the budget now. */
  get bytes(): number {
    return this.chargedBytes;
  }

  /** Keeps `bytes` as series s's list; false when the budget refuses the room. */
  private keep(series: number, bytes: Uint8Array): boolean {
    if (series >= this.lengths.length && !this.growColumns(series)) return false;
    if (this.used + bytes.length > this.slab.length && !this.makeRoom(bytes.length)) return false;
    this.slab.set(bytes, this.used);
    this.at[series] = this.used;
    this.lengths[series] = bytes.length;
    this.used += bytes.length;
    return true;
  }

  private growColumns(series: number): boolean {
    const size = Math.max(INITIAL_SERIES, this.lengths.length * 2, series + 1);
    const extra = (size - this.lengths.length) * 8;
    if (!this.budget.tryReserve(extra)) return false;
    this.chargedBytes += extra;
    const at = new Int32Array(size);
    at.set(this.at);
    const lengths = new Int32Array(size).fill(-1);
    lengths.set(this.lengths);
    this.at = at;
    this.lengths = lengths;
    return true;
  }

  /**
   * Room for `needed` more bytes: the live lists repacked into a slab of twice what they and `needed` take, or, when
   * the budget refuses that, into the present slab if a quarter of it is holes. Otherwise refused at once: with the
   * budget full, repacking at every series' first export would be quadratic.
   */
  private makeRoom(needed: number): boolean {
    const live = this.used - this.holes;
    let size = Math.max(INITIAL_SLAB_BYTES, 2 * (live + needed));
    if (size > this.slab.length) {
      if (this.budget.tryReserve(size - this.slab.length)) {
        this.chargedBytes += size - this.slab.length;
      } else if (this.holes >= this.slab.length / 4 && live + needed <= this.slab.length) {
        // A quarter of the slab or more is holes: a repack pays for itself over the lists it makes room for.
        size = this.slab.length;
      } else {
        return false;
      }
    } else {
      this.budget.release(this.slab.length - size);
      this.chargedBytes -= this.slab.length - size;
    }
    const slab = new Uint8Array(size);
    let used = 0;
    for (let s = 0; s < this.lengths.length; s++) {
      const length = this.lengths[s];
      if (length <= 0) continue;
      slab.set(this.slab.subarray(this.at[s], this.at[s] + length), used);
      this.at[s] = used;
      used += length;
    }
    this.slab = slab;
    this.used = used;
    this.holes = 0;
    return true;
  }

  /**
   * The list's fields joined: KeyValue 1, tag, KeyValue 2, tag, … (the first tag is the writer's), each KeyValue as
   * EncodedAttribute.proto has it (length-prefixed).
   */
  private encode(series: number, encoder: AttributeEncoder): Uint8Array {
    const attributes = encoder.encode(this.attributesOf(series));
    if (attributes.length === 0) return new Uint8Array(0);
    let size = attributes.length - 1;
    for (const attribute of attributes) size += attribute.protoLength;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (let i = 0; i < attributes.length; i++) {
      if (i > 0) bytes[at++] = this.tag;
      bytes.set(attributes[i].proto, at);
      at += attributes[i].protoLength;
    }
    return bytes;
  }
}

/** A cached JSON text's cost: two bytes a character (V8 may hold it in one, but not always) and its header. */
function jsonBytes(text: string): number {
  return text.length * 2 + JSON_ENTRY_OVERHEAD_BYTES;
}
