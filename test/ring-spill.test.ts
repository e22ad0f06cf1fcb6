import { describe, expect, it } from 'vitest';
import { KIND_HTTP, tag, tagCode } from '../dist/src/contract/codes.js';
import { RECORD_WORDS, TAG } from '../dist/src/contract/ring-layout.js';
import { RingReader } from '../dist/src/ring/ring-reader.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';
import { SPILL_IDLE_MILLIS, SPILL_SEGMENT_BYTES, SPILL_SEGMENT_RECORDS, type SpillSegment } from '../dist/src/ring/spill.js';
import { SpillReader } from '../dist/src/ring/spill-reader.js';

/** A ring of 16 whose sealed overflow segments are collected, as the supervisor would send them. */
function ringWithOverflow(memoryBytes: number): { ring: RingWriter; sealed: SpillSegment[] } {
  const ring = new RingWriter(16, memoryBytes);
  const sealed: SpillSegment[] = [];
  ring.onSpillSealed((segment) => sealed.push(segment));
  return { ring, sealed };
}

function writeStatuses(ring: RingWriter, from: number, count: number): void {
  for (let i = from; i < from + count; i++) ring.write(tag(KIND_HTTP, 1, 100 + (i % 500)), 1, 1, 0, 0, 0, 0);
}

/** The status codes a reader hands its sink, in order. */
function statusSink(into: number[]) {
  return (words: Uint32Array, _floats: Float64Array, slot: number) => {
    const word = words[slot * RECORD_WORDS + TAG];
    if ((word & 0xff) !== KIND_HTTP) return false;
    into.push(tagCode(word));
    return true;
  };
}

describe('the ring overflow', () => {
  it('keeps what a full ring cannot take, in segments read whole and in order, then frees them', () => {
    const { ring, sealed } = ringWithOverflow(4 * SPILL_SEGMENT_BYTES);
    const calls = 16 + SPILL_SEGMENT_RECORDS + 10;
    writeStatuses(ring, 0, calls);
    expect([ring.written, ring.spill.spilled, ring.dropped]).toEqual([16, SPILL_SEGMENT_RECORDS + 10, 0]);
    // The first segment was sealed when full; the second is open until sealed (by a flush, or a few ms later).
    expect(sealed.map((segment) => segment.records)).toEqual([SPILL_SEGMENT_RECORDS]);
    ring.spill.seal();
    expect(sealed.map((segment) => [segment.seq, segment.records])).toEqual([
      [0, SPILL_SEGMENT_RECORDS],
      [1, 10],
    ]);
    expect(ring.spill.pending).toBe(SPILL_SEGMENT_RECORDS + 10);
    expect(ring.spill.bytes).toBe(2 * SPILL_SEGMENT_BYTES);

    const seen: number[] = [];
    const sink = statusSink(seen);
    const reader = new RingReader(ring.buffer, 16, ring.header);
    const spillReader = new SpillReader(ring.header);
    for (const segment of sealed) spillReader.enqueue(segment.seq, segment.buffer, segment.records);
    expect(reader.drain(1_000, sink, 0)).toBe(16);
    // Whole segments only: a limit of 1 still reads the first segment entire.
    expect(spillReader.drain(1, sink, 0)).toBe(SPILL_SEGMENT_RECORDS);
    expect(ring.header.spillSegmentsRead).toBe(1);
    expect(spillReader.drain(1_000, sink, 0)).toBe(10);
    expect(seen).toEqual(Array.from({ length: calls }, (_, i) => 100 + (i % 500)));
    expect([ring.header.spillSegmentsRead, ring.header.spillRecordsRead]).toEqual([2, SPILL_SEGMENT_RECORDS + 10]);

    // Read segments are kept for reuse, so the next burst allocates nothing (fresh shared memory is slow to touch)…
    expect(ring.spill.pending).toBe(0);
    expect(ring.spill.bytes).toBe(2 * SPILL_SEGMENT_BYTES);
    expect(ring.header.spillBytes).toBe(2 * SPILL_SEGMENT_BYTES);
    writeStatuses(ring, 0, 16 + 5);
    expect([ring.written, ring.spill.spilled, ring.spill.bytes]).toEqual([32, SPILL_SEGMENT_RECORDS + 15, 2 * SPILL_SEGMENT_BYTES]);
    // …until the overflow has been idle a while: then one is kept and the rest let go.
    ring.spill.seal();
    ring.header.addSpillSegmentRead(5);
    ring.spill.trimIdle(Date.now());
    expect(ring.spill.bytes).toBe(2 * SPILL_SEGMENT_BYTES);
    ring.spill.trimIdle(Date.now() + SPILL_IDLE_MILLIS + 1);
    expect([ring.spill.bytes, ring.header.spillBytes, ring.spill.pending]).toEqual([SPILL_SEGMENT_BYTES, SPILL_SEGMENT_BYTES, 0]);
  });

  it('drops and counts only past the memory bound, which it shares with the worker’s series', () => {
    const { ring } = ringWithOverflow(2 * SPILL_SEGMENT_BYTES + 1_000);
    const calls = 16 + 3 * SPILL_SEGMENT_RECORDS;
    writeStatuses(ring, 0, calls);
    expect([ring.written, ring.spill.spilled, ring.dropped]).toEqual([16, 2 * SPILL_SEGMENT_RECORDS, SPILL_SEGMENT_RECORDS]);
    expect(ring.written + ring.spill.spilled + ring.dropped).toBe(calls);
    expect(ring.spill.bytes).toBe(2 * SPILL_SEGMENT_BYTES);

    // What the series hold is taken off the overflow's share: room for one segment, then for none.
    const crowded = ringWithOverflow(2 * SPILL_SEGMENT_BYTES);
    crowded.ring.header.setSeriesBytes(SPILL_SEGMENT_BYTES - 1);
    writeStatuses(crowded.ring, 0, 16 + SPILL_SEGMENT_RECORDS + 1);
    expect([crowded.ring.spill.spilled, crowded.ring.dropped]).toEqual([SPILL_SEGMENT_RECORDS, 1]);
    // No room for a segment, but for a fold block: the records are folded per series (five status codes here).
    const folding = ringWithOverflow(2 * SPILL_SEGMENT_BYTES);
    folding.ring.header.setSeriesBytes(SPILL_SEGMENT_BYTES + 1);
    writeStatuses(folding.ring, 0, 16 + 5);
    expect([folding.ring.spill.spilled, folding.ring.spill.folded, folding.ring.dropped]).toEqual([5, 5, 0]);
    // Not even room for the smallest fold block (64 series): dropped and counted.
    const full = ringWithOverflow(2 * SPILL_SEGMENT_BYTES);
    full.ring.header.setSeriesBytes(2 * SPILL_SEGMENT_BYTES - 1_000);
    writeStatuses(full.ring, 0, 16 + 5);
    expect([full.ring.spill.spilled, full.ring.dropped, full.ring.spill.bytes]).toEqual([0, 5, 0]);
  });

  it('sends a replacement worker exactly the segments the dead one did not read', () => {
    const { ring, sealed } = ringWithOverflow(8 * SPILL_SEGMENT_BYTES);
    writeStatuses(ring, 0, 16 + 3 * SPILL_SEGMENT_RECORDS);
    ring.spill.seal();
    expect(sealed.map((segment) => segment.seq)).toEqual([0, 1, 2]);
    const first = new SpillReader(ring.header);
    for (const segment of sealed) first.enqueue(segment.seq, segment.buffer, segment.records);
    first.drain(1, () => true, 0);
    // The worker died after one segment: the other two are sent again, and a duplicate is ignored.
    const unread = ring.spill.unreadSegments();
    expect(unread.map((segment) => segment.seq)).toEqual([1, 2]);
    const replacement = new SpillReader(ring.header);
    replacement.enqueue(0, sealed[0].buffer, sealed[0].records);
    for (const segment of unread) replacement.enqueue(segment.seq, segment.buffer, segment.records);
    replacement.enqueue(2, sealed[2].buffer, sealed[2].records);
    expect(replacement.queued).toBe(2);
    expect(replacement.drain(Infinity, () => true, 0)).toBe(2 * SPILL_SEGMENT_RECORDS);
    expect(ring.header.spillRecordsRead).toBe(3 * SPILL_SEGMENT_RECORDS);
  });

  it('skips and counts a record it cannot decode instead of throwing', () => {
    const { ring } = ringWithOverflow(0);
    writeStatuses(ring, 0, 3);
    ring.write(0x7f, 1, 1, 0, 0, 0, 0);
    writeStatuses(ring, 3, 2);
    const seen: number[] = [];
    const reader = new RingReader(ring.buffer, 16, ring.header);
    expect(reader.drain(100, statusSink(seen), 0)).toBe(6);
    expect(seen).toEqual([100, 101, 102, 103, 104]);
    expect(ring.header.undecodable).toBe(1);
    expect(ring.header.readIndex).toBe(6);
  });
});
