import { A, AUX, B, KEY, RECORD_BYTES, RECORD_FLOATS, RECORD_WORDS, TAG, TENANT, VALUE_FLOAT } from '../contract/ring-layout.js';
import type { RingHeader } from '../contract/ring-header.js';
import { TENANT_ID_BASE } from '../contract/strings-layout.js';

/** Records per overflow segment: 128 KiB, so that a burst costs one allocation and one message per 4,096 records. */
export const SPILL_SEGMENT_RECORDS = 4_096;
export const SPILL_SEGMENT_BYTES = SPILL_SEGMENT_RECORDS * RECORD_BYTES;
/** A segment that stops filling is handed over this long after its first record, so that it reaches the next export. */
const SEAL_DELAY_MILLIS = 10;
/** Free segments are kept for reuse until the overflow has been unused this long; then all but one are let go. */
export const SPILL_IDLE_MILLIS = 30_000;

/** A sealed segment: `records` records in the ring's own format, numbered `seq` in the order handed over. */
export interface SpillSegment {
  seq: number;
  buffer: SharedArrayBuffer;
  records: number;
}

/**
 * The overflow of one shard's ring, on the main thread. When the ring is full a record goes here instead of being
 * dropped: into a segment (a SharedArrayBuffer of records in the ring's format) that, once full or a few
 * milliseconds old, is sealed and handed to the worker with `onSealed`, which aggregates it whole. The buffer is
 * shared, not copied, and the main thread never writes a sealed segment again until it is free.
 *
 * Who owns what:
 * - The open segment is written by this thread only, with plain stores; sealing it is the hand-over (a
 *   postMessage, which orders those stores before the worker's reads).
 * - A sealed segment stays in `unread` until the worker's SPILL_SEGMENTS_READ passes its seq. Until then it may
 *   be sent again (to a replacement worker); after that it goes to the free list for reuse. Reuse matters: the
 *   first write to fresh shared memory costs ~0.5 ms per segment here (page faults), ~20× rewriting a used one.
 *   `trimIdle` lets the free list go (all but one segment) once the overflow has been unused for a while.
 *
 * Memory: the overflow may hold what the worker's series leave of the shard's bound (SERIES_BYTES, read when a
 * segment is needed); series are never refused for the overflow's sake, since a series refused is overflowed for
 * good while the overflow is gone in milliseconds. Past the bound `write` returns false and the caller drops.
 */
export class Spill {
  private open: SharedArrayBuffer | undefined;
  private words: Uint32Array = new Uint32Array(0);
  private floats: Float64Array = new Float64Array(0);
  private count = 0;
  /** Segments the worker has read, kept for reuse (counted in `heldBytes`). */
  private readonly free: SharedArrayBuffer[] = [];
  private lastUsedMillis = 0;
  private readonly unread: SpillSegment[] = [];
  private nextSeq = 0;
  private heldBytes = 0;
  private spilledCount = 0;

  constructor(
    private readonly header: RingHeader,
    private readonly limitBytes: number,
    private readonly onSealed: (segment: SpillSegment) => void,
    /** TenantSlots.segmentStamp: 1 + the segment that took each tenant slot's last record. */
    private readonly segmentStamps: Uint32Array = new Uint32Array(0),
  ) {}

  /** The sequence of the open segment, or of the next one when none is open: every record so far is in an earlier or this one. */
  get openSequence(): number {
    return this.nextSeq >>> 0;
  }

  /** Records that went to the overflow since creation. */
  get spilled(): number {
    return this.spilledCount;
  }

  /** Bytes of segments held now. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Records in the overflow that the worker has not aggregated yet. */
  get pending(): number {
    this.release();
    let records = this.count;
    for (const segment of this.unread) records += segment.records;
    return records;
  }

  /** Writes one record; false when the memory bound leaves no room (the caller drops and counts it). */
  write(tag: number, key: number, tenant: number, aux: number, value: number, a: number, b: number): boolean {
    if (this.count === SPILL_SEGMENT_RECORDS || this.open === undefined) {
      if (!this.openSegment()) return false;
    }
    const slot = this.count;
    const word = slot * RECORD_WORDS;
    const words = this.words;
    words[word + TAG] = tag;
    words[word + KEY] = key;
    words[word + TENANT] = tenant;
    words[word + AUX] = aux;
    this.floats[slot * RECORD_FLOATS + VALUE_FLOAT] = value;
    words[word + A] = a;
    words[word + B] = b;
    this.count = slot + 1;
    this.spilledCount++;
    if (tenant >= TENANT_ID_BASE) this.segmentStamps[tenant - TENANT_ID_BASE] = this.nextSeq + 1;
    return true;
  }

  /** Hands the open segment over now (a flush or shutdown must include it). */
  seal(): void {
    if (this.open === undefined || this.count === 0) return;
    const segment: SpillSegment = { seq: this.nextSeq, buffer: this.open, records: this.count };
    this.nextSeq = (this.nextSeq + 1) | 0;
    this.open = undefined;
    this.count = 0;
    this.unread.push(segment);
    this.onSealed(segment);
  }

  /** The sealed segments the worker has not read, in order: what a replacement worker must be sent. */
  unreadSegments(): SpillSegment[] {
    this.release();
    return [...this.unread];
  }

  private openSegment(): boolean {
    this.seal();
    this.release();
    let buffer = this.free.pop();
    if (buffer === undefined) {
      if (this.heldBytes + SPILL_SEGMENT_BYTES + this.header.seriesBytes > this.limitBytes) return false;
      buffer = new SharedArrayBuffer(SPILL_SEGMENT_BYTES);
      this.heldBytes += SPILL_SEGMENT_BYTES;
      this.header.setSpillBytes(this.heldBytes);
    }
    this.open = buffer;
    // Once per segment, never per record: trimIdle() measures idleness from here.
    this.lastUsedMillis = Date.now();
    this.words = new Uint32Array(buffer);
    this.floats = new Float64Array(buffer);
    // Once per segment: a burst shorter than a segment still reaches the worker within milliseconds. The timer
    // fires only after the synchronous code that is spilling returns, by which time the ring may have room.
    setTimeout(() => {
      if (this.open === buffer) this.seal();
    }, SEAL_DELAY_MILLIS).unref();
    return true;
  }

  /** Frees the segments the worker has read (SPILL_SEGMENTS_READ is published after it finished each one). */
  private release(): void {
    const read = this.header.spillSegmentsRead;
    while (this.unread.length > 0 && ((read - this.unread[0].seq) | 0) > 0) {
      const segment = this.unread.shift() as SpillSegment;
      this.free.push(segment.buffer);
    }
    this.header.setSpillBytes(this.heldBytes);
  }

  /**
   * Called now and then (the supervisor's progress check): once the overflow has been unused for
   * SPILL_IDLE_MILLIS, keeps one free segment and lets the others go, so a past burst does not hold memory for good.
   */
  trimIdle(nowMillis: number): void {
    this.release();
    if (this.free.length <= 1 || this.open !== undefined || nowMillis - this.lastUsedMillis < SPILL_IDLE_MILLIS) return;
    this.heldBytes -= (this.free.length - 1) * SPILL_SEGMENT_BYTES;
    this.free.length = 1;
    this.header.setSpillBytes(this.heldBytes);
  }
}
