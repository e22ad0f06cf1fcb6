import { A, AUX, B, KEY, RECORD_BYTES, RECORD_FLOATS, RECORD_WORDS, TAG, TENANT, VALUE_FLOAT } from '../contract/ring-layout.js';
import type { RingHeader } from '../contract/ring-header.js';
import { OVERFLOW_ID, TENANT_ID_BASE } from '../contract/strings-layout.js';
import { FOLD_ENTRY_BYTES, foldable, foldKeyHash } from '../contract/fold-layout.js';
import { HeldSeries, heldSeriesSlots } from '../contract/held-series.js';
import { FOLD_SERIES_BYTES, FoldBlock, foldBlockBytes } from './fold-block.js';

/** Records per overflow segment: 128 KiB, so that a burst costs one allocation and one message per 4,096 records. */
export const SPILL_SEGMENT_RECORDS = 4_096;
export const SPILL_SEGMENT_BYTES = SPILL_SEGMENT_RECORDS * RECORD_BYTES;
/**
 * Raw segments the overflow may hold (the spare included) before it folds: 512 KiB, 16,384 records beyond the
 * ring's. A short burst stays raw (exact in every detail, the cheapest path); a long one folds, so that its memory
 * follows its series, not its records (docs/architecture.md, "The fold").
 */
export const MAX_RAW_SEGMENTS = 4;
/** A fold block smaller than this is not worth opening: the record is dropped instead (the bound is reached). */
const MIN_FOLD_ENTRIES = 64;
/** The largest fold block: 256 MiB of address space, of which only the entries used cost memory. */
const MAX_FOLD_ENTRIES = 1 << 20;
/** A fold block makes entries for new series up to this share of its capacity; the rest is for overflow series. */
const FOLD_SERIES_SHARE = 7 / 8;
/** A segment that stops filling is handed over this long after its first record, so that it reaches the next export. */
const SEAL_DELAY_MILLIS = 10;
/** Free segments are kept for reuse until the overflow has been unused this long; then all but one are let go. */
export const SPILL_IDLE_MILLIS = 30_000;

/** Entries a fold block of `capacity` may make for new series (FOLD_SERIES_SHARE of it). */
function seriesBoundOf(capacity: number): number {
  return Math.floor(capacity * FOLD_SERIES_SHARE);
}

/**
 * A sealed segment, numbered `seq` in the order handed over: `records` records in the ring's own format, or, when
 * `foldEntries` > 0, a fold block (contract/fold-layout.ts) of that many entries into which `records` were folded.
 */
export interface SpillSegment {
  seq: number;
  buffer: SharedArrayBuffer;
  records: number;
  foldEntries: number;
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
 * Past MAX_RAW_SEGMENTS the records are folded per series into a fold block (fold-block.ts), handed over the same
 * way; a record whose series finds no room there goes to its metric's overflow series (`__overflow__`).
 *
 * Memory: the overflow may hold what the worker's series leave of the shard's bound (SERIES_BYTES, read when a
 * segment or block is needed); series are never refused for the overflow's sake, since a series refused is
 * overflowed for good while the overflow is gone in milliseconds. When not even the fold has room `write` returns
 * false and the caller drops.
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
  /** Raw segments allocated and not let go (unread, open or free): at most MAX_RAW_SEGMENTS. */
  private rawSegments = 0;
  private spilledCount = 0;
  /** The fold block being filled; while one is open, no raw segment is (one open at a time keeps `seq` order simple). */
  private block: FoldBlock | undefined;
  /** Entries the open block may make for new series, and for overflow series (the room's two shares). */
  private blockSeriesLimit = 0;
  private blockOverflowLimit = 0;
  /** Entries the open block made for new series and for overflow series (those for held series are the rest). */
  private newEntries = 0;
  private overflowEntries = 0;
  /** Series the worker held when the open block opened: the block's reserve past the room. */
  private heldAtOpen = 0;
  private foldedCount = 0;
  private foldOverflowCount = 0;
  /** Entries and capacity of the last fold block sealed (not the block: its memory is let go once read). */
  private lastBlockEntries = 0;
  private lastBlockCapacity = 0;
  private lastBlockSeriesBound = 0;

  /** The series the worker holds (held-series.ts): read only on the fold path, when a block has no room for new series. */
  readonly heldSeries: HeldSeries;

  constructor(
    private readonly header: RingHeader,
    private readonly limitBytes: number,
    private readonly onSealed: (segment: SpillSegment) => void,
    /** TenantSlots.segmentStamp: 1 + the segment that took each tenant slot's last record. */
    private readonly segmentStamps: Uint32Array = new Uint32Array(0),
  ) {
    this.heldSeries = new HeldSeries(heldSeriesSlots(limitBytes));
  }

  /** The sequence of the open segment, or of the next one when none is open: every record so far is in an earlier or this one. */
  get openSequence(): number {
    return this.nextSeq >>> 0;
  }

  /** Records that went to the overflow since creation. */
  get spilled(): number {
    return this.spilledCount;
  }

  /** Records folded (a subset of `spilled`): the ring and the raw segments were full. */
  get folded(): number {
    return this.foldedCount;
  }

  /** Folded records that went to their metric's overflow series (`__overflow__`): the fold was at its series bound. */
  get foldedToOverflow(): number {
    return this.foldOverflowCount;
  }

  /**
   * The fold block being filled, or the last one sealed: its entries made, and its series bound (entries it may make
   * for new series; the rest of its capacity is for overflow series). Zeros until a block has opened.
   */
  get foldEntries(): { used: number; seriesBound: number; capacity: number } {
    if (this.block === undefined)
      return { used: this.lastBlockEntries, seriesBound: this.lastBlockSeriesBound, capacity: this.lastBlockCapacity };
    return { used: this.block.entries, seriesBound: this.blockSeriesLimit, capacity: this.block.capacity };
  }

  /** Bytes of segments and fold blocks held now. */
  get bytes(): number {
    return this.heldBytes + (this.block === undefined ? 0 : this.block.bytes);
  }

  /** Records in the overflow that the worker has not aggregated yet. */
  get pending(): number {
    this.release();
    let records = this.count + (this.block === undefined ? 0 : this.block.records);
    for (const segment of this.unread) records += segment.records;
    return records;
  }

  /** Writes one record; false when the memory bound leaves no room (the caller drops and counts it). */
  write(tag: number, key: number, tenant: number, aux: number, value: number, a: number, b: number): boolean {
    if (this.block !== undefined || this.count === SPILL_SEGMENT_RECORDS || this.open === undefined) {
      if (this.block !== undefined || !this.openSegment()) return this.fold(tag, key, tenant, aux, value, a, b);
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

  /**
   * The fold path: the record into its series' entry of the open fold block (opened if needed), or, when the block
   * has no room for a new series, into its metric's overflow series (the same record under `__overflow__`).
   * False only when not even that fits (or the kind is never folded): the caller drops and counts it.
   */
  private fold(tag: number, key: number, tenant: number, aux: number, value: number, a: number, b: number): boolean {
    if (!foldable(tag & 0xff)) return false;
    const block = this.block ?? this.openBlock();
    if (block === undefined) return false;
    // Three shares of the block (openBlock): new series up to the series bound; a series the worker holds always
    // (the reserve past the room), so that its burst stays under its own key; overflow series the rest of the room.
    const made = block.entries;
    if (tenant === OVERFLOW_ID) {
      // Recorded under `__overflow__` already (a label limit): an overflow series from the start.
      if (!this.addOverflow(block, tag, key, aux, value, a, b)) return false;
    } else if (block.add(tag, key, tenant, aux, value, a, b, this.newEntries < this.newSeriesLimit() ? block.capacity : 0)) {
      if (block.entries !== made) this.newEntries++;
    } else if (
      !this.heldSeries.has(foldKeyHash(tag, key, tenant, aux, a, b)) ||
      !block.add(tag, key, tenant, aux, value, a, b, block.capacity - (this.blockOverflowLimit - this.overflowEntries))
    ) {
      if (!this.addOverflow(block, tag, key, aux, value, a, b)) return false;
      this.foldOverflowCount++;
    }
    this.foldedCount++;
    this.spilledCount++;
    if (tenant >= TENANT_ID_BASE) this.segmentStamps[tenant - TENANT_ID_BASE] = this.nextSeq + 1;
    return true;
  }

  /**
   * Entries new series may have made: the series bound, less the series the worker came to hold since the block
   * opened (the reserve covers those it held then), so that those find an entry too when their records come.
   */
  private newSeriesLimit(): number {
    return this.blockSeriesLimit - Math.max(0, this.heldSeries.count - this.heldAtOpen);
  }

  /** The record into its metric's overflow series (`__overflow__`), within the overflow share of the block. */
  private addOverflow(block: FoldBlock, tag: number, key: number, aux: number, value: number, a: number, b: number): boolean {
    const made = block.entries;
    if (!block.add(tag, key, OVERFLOW_ID, aux, value, a, b, this.overflowEntries < this.blockOverflowLimit ? block.capacity : 0))
      return false;
    if (block.entries !== made) this.overflowEntries++;
    return true;
  }

  /**
   * Opens a fold block as large as the bound leaves room for (what the worker's state and the segments held leave),
   * its pages paid only as entries are made. The open raw segment, full, was sealed by openSegment() before.
   */
  private openBlock(): FoldBlock | undefined {
    this.seal();
    this.release();
    const room = this.limitBytes - this.heldBytes - this.header.seriesBytes;
    let capacity = Math.min(MAX_FOLD_ENTRIES, Math.floor(room / FOLD_SERIES_BYTES));
    // The hash index is a power of two: the whole block, index included, must fit in the room.
    while (capacity >= MIN_FOLD_ENTRIES && foldBlockBytes(capacity) > room) capacity -= Math.ceil(capacity / 16);
    if (capacity < MIN_FOLD_ENTRIES) return undefined;
    let block: FoldBlock;
    try {
      // Past the room, a reserve for the series the worker holds now: their entries repeat what the worker's state
      // already pays for them (more than an entry's 256 bytes each), for as long as the block is unread, so the
      // block's address space stays within the bound (docs/architecture.md, "The fold").
      this.heldAtOpen = this.heldSeries.count;
      block = new FoldBlock(Math.min(MAX_FOLD_ENTRIES, capacity + this.heldAtOpen));
    } catch {
      // The request path never throws: an allocation the process cannot make drops the record (counted).
      return undefined;
    }
    this.block = block;
    this.blockSeriesLimit = seriesBoundOf(capacity);
    this.blockOverflowLimit = capacity - this.blockSeriesLimit;
    this.newEntries = 0;
    this.overflowEntries = 0;
    this.lastUsedMillis = Date.now();
    // As for a segment: the block reaches the worker within milliseconds of the burst's end.
    setTimeout(() => {
      if (this.block === block) this.seal();
    }, SEAL_DELAY_MILLIS).unref();
    return block;
  }

  /** Hands the open segment or fold block over now (a flush or shutdown must include it). */
  seal(): void {
    const block = this.block;
    if (block !== undefined) {
      this.block = undefined;
      this.lastBlockEntries = block.entries;
      this.lastBlockCapacity = block.capacity;
      this.lastBlockSeriesBound = this.blockSeriesLimit;
      if (block.records === 0) return;
      // The hash index stays here and is let go: from now on the block holds only its entries.
      this.heldBytes += block.entries * FOLD_ENTRY_BYTES;
      this.header.setSpillBytes(this.heldBytes);
      this.handOver({ seq: this.nextSeq, buffer: block.buffer, records: block.records, foldEntries: block.entries });
      return;
    }
    if (this.open === undefined || this.count === 0) return;
    const segment: SpillSegment = { seq: this.nextSeq, buffer: this.open, records: this.count, foldEntries: 0 };
    this.open = undefined;
    this.count = 0;
    this.handOver(segment);
  }

  private handOver(segment: SpillSegment): void {
    this.nextSeq = (segment.seq + 1) | 0;
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
      if (this.rawSegments >= MAX_RAW_SEGMENTS) return false;
      if (this.heldBytes + SPILL_SEGMENT_BYTES + this.header.seriesBytes > this.limitBytes) return false;
      buffer = new SharedArrayBuffer(SPILL_SEGMENT_BYTES);
      this.rawSegments++;
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
      // A fold block is never reused (its size follows the bound when it opened): its memory is let go.
      if (segment.foldEntries > 0) this.heldBytes -= segment.foldEntries * FOLD_ENTRY_BYTES;
      else this.free.push(segment.buffer);
    }
    this.header.setSpillBytes(this.heldBytes);
  }

  /**
   * Called now and then (the supervisor's progress check): once the overflow has been unused for
   * SPILL_IDLE_MILLIS, keeps one free segment and lets the others go, so a past burst does not hold memory for good.
   */
  trimIdle(nowMillis: number): void {
    this.release();
    if (this.free.length <= 1 || this.open !== undefined || this.block !== undefined || nowMillis - this.lastUsedMillis < SPILL_IDLE_MILLIS)
      return;
    this.heldBytes -= (this.free.length - 1) * SPILL_SEGMENT_BYTES;
    this.rawSegments -= this.free.length - 1;
    this.free.length = 1;
    this.header.setSpillBytes(this.heldBytes);
  }
}
