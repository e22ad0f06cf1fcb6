import { describe, expect, it } from 'vitest';
import { KIND_HTTP, tag } from '../dist/src/contract/codes.js';
import { byteCountsAux, requestBytesOf, responseBytesOf, tagOf, tenantOf, tenantSlotOf } from '../dist/src/contract/record-codec.js';
import { AUX, HEADER_BYTES, RECORD_WORDS } from '../dist/src/contract/ring-layout.js';
import { TENANT_ID_BASE } from '../dist/src/contract/strings-layout.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';

/** The worker's reading of what the main thread's ring writer wrote: one codec, both threads. */
describe('the record codec (src/contract/record-codec.ts)', () => {
  const cases: [number, number][] = [
    [0, 0],
    [1_234, 5_678],
    [2 ** 32 - 1, 2 ** 32 - 1],
    [2 ** 32, 7],
    [9, 2 ** 32 + 1],
    [2 ** 40 + 12_345, 2 ** 47 + 2 ** 33 + 99],
    [2 ** 48 - 1, 2 ** 48 - 1],
  ];

  it('reads back the 48-bit byte counts the ring writer split into A, B and AUX, and agrees with its AUX word', () => {
    const ring = new RingWriter(16, 0);
    const words = new Uint32Array(ring.buffer, HEADER_BYTES);
    cases.forEach(([request, response], slot) => {
      ring.writeWithByteCounts(tag(KIND_HTTP, 1, 200), 3, TENANT_ID_BASE + slot, 0.5, request, response);
      expect([requestBytesOf(words, slot), responseBytesOf(words, slot)]).toEqual([request, response]);
      expect(words[slot * RECORD_WORDS + AUX]).toBe(byteCountsAux(request, response));
      expect(tagOf(words, slot)).toBe(tag(KIND_HTTP, 1, 200));
      expect(tenantOf(words, slot)).toBe(TENANT_ID_BASE + slot);
      expect(tenantSlotOf(tenantOf(words, slot))).toBe(slot);
    });
  });

  it('puts a built-in tenant id below every tenant slot', () => {
    expect(tenantSlotOf(TENANT_ID_BASE - 1)).toBe(-1);
    expect(tenantSlotOf(0)).toBeLessThan(0);
  });
});
