import {
  A,
  AUX,
  B,
  HEADER_BYTES,
  KEY,
  RECORD_FLOATS,
  RECORD_WORDS,
  TAG,
  TENANT,
  VALUE_FLOAT,
  ringBufferBytes,
} from '../contract/ring-layout.js';
import { RingHeader } from '../contract/ring-header.js';
import { TENANT_ID_BASE } from '../contract/strings-layout.js';
import { Spill, type SpillSegment } from './spill.js';

/**
 * Where each tenant slot's last record went (TenantSlots.ringStamp and segmentStamp, indexed by slot): what tenant
 * retention judges a worker's idle proposal against. Without retention (tests of the ring alone), empty arrays.
 */
export interface TenantStamps {
  ring: Uint32Array;
  segments: Uint32Array;
}

const NO_STAMPS: TenantStamps = { ring: new Uint32Array(0), segments: new Uint32Array(0) };

const TWO_TO_32 = 2 ** 32;

/**
 * The producer side of one shard's ring (see contract/ring-layout.ts for who writes what). Every method is synchronous, never
 * throws for any number it is given, and never waits: when the ring is full the record goes to the overflow
 * (spill.ts), and only when that is at its memory bound is the record dropped and counted.
 */
export class RingWriter {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly header: RingHeader;
  readonly spill: Spill;
  private readonly words: Uint32Array;
  private readonly floats: Float64Array;
  private readonly mask: number;
  /** Our own copy of WRITE_INDEX: only this thread writes it, so it never needs to be read back. */
  private writeIndex = 0;
  /** Last READ_INDEX seen; refreshed only when the ring looks full, so the common path reads no shared slot. */
  private readIndexSeen = 0;
  private writtenCount = 0;
  private droppedCount = 0;
  private rejectedCount = 0;
  private spillListener: (segment: SpillSegment) => void = () => {};
  private readonly ringStamps: Uint32Array;

  /** `memoryBytes`: the shard's memory bound, which the overflow shares with the worker's series. */
  constructor(capacity: number, memoryBytes: number, stamps: TenantStamps = NO_STAMPS) {
    this.capacity = capacity;
    this.ringStamps = stamps.ring;
    this.mask = capacity - 1;
    this.buffer = new SharedArrayBuffer(ringBufferBytes(capacity));
    this.header = new RingHeader(this.buffer);
    this.words = new Uint32Array(this.buffer, HEADER_BYTES);
    this.floats = new Float64Array(this.buffer, HEADER_BYTES);
    this.spill = new Spill(this.header, memoryBytes, (segment) => this.spillListener(segment), stamps.segments);
  }

  /** Where the next record goes: the ring's next index and the open (or next) overflow segment. */
  get position(): { writeIndex: number; openSegment: number } {
    return { writeIndex: this.writeIndex >>> 0, openSegment: this.spill.openSequence };
  }

  /** Where sealed overflow segments go (the shard's supervisor, which sends them to its worker). */
  onSpillSealed(listener: (segment: SpillSegment) => void): void {
    this.spillListener = listener;
  }

  /** Records written to the ring since creation (a plain number: WRITE_INDEX itself wraps at 2^32). */
  get written(): number {
    return this.writtenCount;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get rejected(): number {
    return this.rejectedCount;
  }

  /** Records published and not yet consumed by the worker. */
  get used(): number {
    return (this.writeIndex - this.header.readIndex) >>> 0;
  }

  /** Writes one record. `bytesA`/`bytesB` may exceed 32 bits (their high 16 bits go to AUX when `aux` is -1). */
  write(tag: number, key: number, tenant: number, aux: number, value: number, a: number, b: number): void {
    const index = this.writeIndex;
    if ((index - this.readIndexSeen) >>> 0 >= this.capacity) {
      this.readIndexSeen = this.header.readIndex;
      if ((index - this.readIndexSeen) >>> 0 >= this.capacity) {
        if (!this.spill.write(tag, key, tenant, aux, value, a, b)) this.drop();
        return;
      }
    }
    const word = (index & this.mask) * RECORD_WORDS;
    const words = this.words;
    words[word + TAG] = tag;
    words[word + KEY] = key;
    words[word + TENANT] = tenant;
    words[word + AUX] = aux;
    this.floats[(index & this.mask) * RECORD_FLOATS + VALUE_FLOAT] = value;
    words[word + A] = a;
    words[word + B] = b;
    this.writeIndex = (index + 1) | 0;
    this.writtenCount++;
    // Tenant retention: where this tenant's last record went (one store, main thread only; see tenant-slots.ts).
    if (tenant >= TENANT_ID_BASE) this.ringStamps[tenant - TENANT_ID_BASE] = index;
    // Publish after the record's stores: the worker's Atomics.load of WRITE_INDEX then sees all of them.
    this.header.publishWriteIndex(this.writeIndex);
  }

  /** A record with two byte counts of up to 48 bits each: low words in A and B, high 16 bits packed in AUX. */
  writeWithByteCounts(tag: number, key: number, tenant: number, value: number, bytesA: number, bytesB: number): void {
    if (bytesA < TWO_TO_32 && bytesB < TWO_TO_32) {
      this.write(tag, key, tenant, 0, value, bytesA, bytesB);
      return;
    }
    const highA = Math.floor(bytesA / TWO_TO_32);
    const highB = Math.floor(bytesB / TWO_TO_32);
    this.write(tag, key, tenant, (highA | (highB << 16)) >>> 0, value, bytesA - highA * TWO_TO_32, bytesB - highB * TWO_TO_32);
  }

  /** Counts a record refused for an invalid value; the worker exports the count as a self-metric. */
  reject(): void {
    this.rejectedCount++;
    this.header.setRejected(this.rejectedCount);
  }

  private drop(): void {
    this.droppedCount++;
    this.header.setDropped(this.droppedCount);
  }
}
