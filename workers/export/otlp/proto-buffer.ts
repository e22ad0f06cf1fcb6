/**
 * A growable byte buffer with the protobuf wire primitives the OTLP writer needs (varints, fixed64, doubles,
 * length-delimited fields). Nothing here knows OTLP; protobuf-writer.ts does.
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;

/** Room reserved for the length of a field whose size is known only at its end (5 varint bytes: up to 4 GiB). */
const RESERVED_LENGTH_BYTES = 5;
const TWO_32 = 4_294_967_296;

export function tagByte(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** Bytes of the varint encoding of a non-negative integer below 2^53. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 5;
  for (let rest = Math.floor(value / 0x800000000); rest > 0; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

/** A signed 32-bit integer as protobuf's sint32 (zigzag): small magnitudes, either sign, stay short. */
export function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

export class ProtoBuffer {
  bytes: Uint8Array;
  length = 0;
  private view: DataView;

  constructor(initialBytes = 65_536) {
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `extra` more bytes. Writers call it once per field or data point, then write unchecked. */
  ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  byte(value: number): void {
    this.bytes[this.length++] = value;
  }

  /** A non-negative integer below 2^53. */
  varint(value: number): void {
    const bytes = this.bytes;
    let at = this.length;
    while (value >= 0x80000000) {
      // Above 31 bits the bitwise operators would truncate: peel seven bits off arithmetically.
      const low = value % 0x80;
      bytes[at++] = low | 0x80;
      value = (value - low) / 0x80;
    }
    while (value >= 0x80) {
      bytes[at++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    bytes[at++] = value;
    this.length = at;
  }

  /** Eight little-endian bytes from two 32-bit words. */
  fixed64(low: number, high: number): void {
    this.view.setUint32(this.length, low, true);
    this.view.setUint32(this.length + 4, high, true);
    this.length += 8;
  }

  /** An unsigned integer below 2^53 as fixed64. */
  fixed64Number(value: number): void {
    const high = Math.floor(value / TWO_32);
    this.fixed64(value - high * TWO_32, high);
  }

  /** A signed integer of magnitude below 2^53 as sfixed64 (two's complement). */
  sfixed64Number(value: number): void {
    const high = Math.floor(value / TWO_32);
    this.fixed64(value - high * TWO_32, high >>> 0);
  }

  double(value: number): void {
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** `length` bytes of `source` from `at`: copied one by one (an attribute list is tens of bytes: no subarray made). */
  rawRange(source: Uint8Array, at: number, length: number): void {
    const bytes = this.bytes;
    const to = this.length;
    for (let i = 0; i < length; i++) bytes[to + i] = source[at + i];
    this.length = to + length;
  }

  /** Starts a length-delimited field whose length is not known yet; returns the mark `closeLength` needs. */
  openLength(): number {
    this.ensure(RESERVED_LENGTH_BYTES);
    const mark = this.length;
    this.length += RESERVED_LENGTH_BYTES;
    return mark;
  }

  /**
   * Writes the length of the field opened at `mark` and moves its content back over the unused reserved bytes, so
   * that every length is a canonical (shortest) varint: some decoders reject padded ones. A move per container
   * (request, scope, metric, its data), not per data point, whose lengths are computed up front.
   */
  closeLength(mark: number): void {
    const contentStart = mark + RESERVED_LENGTH_BYTES;
    const contentLength = this.length - contentStart;
    const lengthBytes = varintSize(contentLength);
    const end = this.length;
    this.length = mark;
    this.varint(contentLength);
    if (lengthBytes < RESERVED_LENGTH_BYTES) this.bytes.copyWithin(mark + lengthBytes, contentStart, end);
    this.length = end - (RESERVED_LENGTH_BYTES - lengthBytes);
  }

  /** A copy of the bytes written, and the buffer emptied for the next message. */
  take(): Uint8Array {
    const body = this.bytes.slice(0, this.length);
    this.length = 0;
    return body;
  }
}

/** A whole length-delimited field (tag, length, content) as bytes, for parts encoded once and copied many times. */
export function lengthDelimited(field: number, content: Uint8Array): Uint8Array {
  const buffer = new ProtoBuffer(content.length + 11);
  buffer.byte(tagByte(field, WIRE_LEN));
  buffer.varint(content.length);
  buffer.raw(content);
  return buffer.take();
}

/** The UTF-8 bytes of a string field, or nothing for the empty string (proto3 leaves default values out). */
export function stringField(field: number, value: string): Uint8Array {
  return value === '' ? new Uint8Array(0) : lengthDelimited(field, Buffer.from(value, 'utf8'));
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
