import { describe, expect, it } from 'vitest';
import { KIND_HTTP, tag } from '../dist/src/contract/codes.js';
import * as layout from '../dist/src/contract/ring-layout.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';

describe('ring layout', () => {
  it('has 32-byte records whose float field is 8-byte aligned', () => {
    expect(layout.RECORD_BYTES).toBe(32);
    expect(layout.RECORD_WORDS * 4).toBe(layout.RECORD_BYTES);
    expect(layout.RECORD_FLOATS * 8).toBe(layout.RECORD_BYTES);
    expect(layout.VALUE_FLOAT * 8).toBe(16);
    const words = [
      layout.TAG,
      layout.KEY,
      layout.TENANT,
      layout.AUX,
      layout.VALUE_FLOAT * 2,
      layout.VALUE_FLOAT * 2 + 1,
      layout.A,
      layout.B,
    ];
    expect(new Set(words).size).toBe(layout.RECORD_WORDS);
    expect(Math.max(...words)).toBe(layout.RECORD_WORDS - 1);
  });

  it('keeps main-thread slots and worker slots on separate 64-byte cache lines', () => {
    const main = [layout.WRITE_INDEX, layout.DROPPED, layout.REJECTED, layout.LOST, layout.SPILL_BYTES];
    const worker = [
      layout.READ_INDEX,
      layout.HEARTBEAT,
      layout.EXPORTED_READ_INDEX,
      layout.EXPORTED_DROPPED,
      layout.EXPORTED_REJECTED,
      layout.EXPORTED_LOST,
      layout.EXPORT_ATTEMPTS,
      layout.EXPORT_SUCCEEDED,
      layout.EXPORT_FAILED,
      layout.LAST_EXPORT_MICROS,
      layout.SERIES,
      layout.OVERFLOWED,
      layout.TENANTS_ADMITTED,
      layout.TENANTS_FOLDED,
      layout.RECORDS_FOLDED,
      layout.SPILL_SEGMENTS_READ,
      layout.SPILL_RECORDS_READ,
      layout.EXPORTED_SPILL_RECORDS,
      layout.SERIES_BYTES,
      layout.UNDECODABLE,
      layout.EXPORTED_UNDECODABLE,
      layout.POSSIBLY_DUPLICATED_POINTS,
    ];
    for (const slot of main) expect(Math.floor((slot * 4) / 64)).toBe(0);
    for (const slot of worker) expect(Math.floor((slot * 4) / 64)).toBeGreaterThanOrEqual(1);
    for (const slot of [...main, ...worker]) expect(slot).toBeLessThan(layout.HEADER_SLOTS);
    expect(new Set([...main, ...worker]).size).toBe(main.length + worker.length);
    expect(layout.HEADER_BYTES).toBe(192);
  });

  it('sizes a ring buffer as header + capacity records, with power-of-two capacities only', () => {
    expect(layout.ringBufferBytes(16)).toBe(192 + 16 * 32);
    expect(new RingWriter(1024, 0).buffer.byteLength).toBe(192 + 1024 * 32);
    expect([16, 1024, 65536, 2 ** 24].every(layout.isPowerOfTwo)).toBe(true);
    expect([0, -16, 3, 1000, 1.5, NaN].some(layout.isPowerOfTwo)).toBe(false);
  });

  it('writes a record in the documented fields, publishes it, and drops (counting) when full with no overflow memory', () => {
    const ring = new RingWriter(16, 0);
    const header = new Int32Array(ring.buffer, 0, layout.HEADER_SLOTS);
    const words = new Uint32Array(ring.buffer, layout.HEADER_BYTES);
    const floats = new Float64Array(ring.buffer, layout.HEADER_BYTES);
    ring.writeWithByteCounts(tag(KIND_HTTP, 1, 200), 7, 9, 0.25, 5 * 2 ** 32 + 3, 17);
    expect(Atomics.load(header, layout.WRITE_INDEX)).toBe(1);
    expect([words[layout.TAG], words[layout.KEY], words[layout.TENANT]]).toEqual([tag(KIND_HTTP, 1, 200), 7, 9]);
    expect(floats[layout.VALUE_FLOAT]).toBe(0.25);
    expect(words[layout.A] + (words[layout.AUX] & 0xffff) * 2 ** 32).toBe(5 * 2 ** 32 + 3);
    expect(words[layout.B] + (words[layout.AUX] >>> 16) * 2 ** 32).toBe(17);
    for (let i = 0; i < 20; i++) ring.write(tag(KIND_HTTP, 1, 200), 1, 1, 0, 0, 0, 0);
    expect(ring.written).toBe(16);
    expect(ring.dropped).toBe(5);
    expect(Atomics.load(header, layout.DROPPED)).toBe(5);
    // The worker frees 4 slots: exactly 4 more fit.
    Atomics.store(header, layout.READ_INDEX, 4);
    for (let i = 0; i < 6; i++) ring.write(tag(KIND_HTTP, 1, 200), 1, 1, 0, 0, 0, 0);
    expect(ring.written).toBe(20);
    expect(ring.dropped).toBe(7);
  });

  it('indices wrap around 2^32 without losing track of used slots', () => {
    const ring = new RingWriter(16, 0);
    const header = new Int32Array(ring.buffer, 0, layout.HEADER_SLOTS);
    // Pretend 2^32 - 3 records have passed through.
    const start = -3;
    Object.assign(ring as unknown as { writeIndex: number; readIndexSeen: number }, { writeIndex: start, readIndexSeen: start });
    Atomics.store(header, layout.READ_INDEX, start);
    for (let i = 0; i < 10; i++) ring.write(tag(KIND_HTTP, 1, 200), 1, 1, 0, 0, 0, 0);
    expect(ring.used).toBe(10);
    expect(Atomics.load(header, layout.WRITE_INDEX)).toBe(7);
  });
});
