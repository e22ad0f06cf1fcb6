import type { RecordSink } from './ring-reader.js';
import type { RingHeader } from '../contract/ring-header.js';

interface QueuedSegment {
  buffer: SharedArrayBuffer;
  records: number;
  /** > 0: a fold block of this many entries (contract/fold-layout.ts), merged by `mergeFold`. */
  foldEntries: number;
}

/**
 * Merges a fold block into the aggregators (workers/fold-merge.ts: its entries replayed through `sink`); returns the
 * records the sink refused.
 */
export type FoldMergeFn = (buffer: SharedArrayBuffer, entries: number, sink: RecordSink, nowMillis: number, beat: () => void) => number;

/**
 * The worker's side of the overflow (spill.ts): segments arrive as messages, in the order sealed, and are read
 * whole. A segment is never split across exports, so that a worker dying after an export never leaves half a
 * segment exported that the main thread would send again. After each segment SPILL_RECORDS_READ, then
 * SPILL_SEGMENTS_READ, tell the main thread it may free the buffer.
 */
export class SpillReader {
  private readonly queue: QueuedSegment[] = [];
  private readonly beat = () => this.header.beat();
  /** The seq the next new segment has: a replacement worker starts where its predecessor stopped reading. */
  private nextSeq: number;

  constructor(
    private readonly header: RingHeader,
    private readonly mergeFold: FoldMergeFn = () => 0,
  ) {
    this.nextSeq = header.spillSegmentsRead;
  }

  /** Segments waiting to be read. */
  get queued(): number {
    return this.queue.length;
  }

  enqueue(seq: number, buffer: SharedArrayBuffer, records: number, foldEntries = 0): void {
    // A segment already read or queued (sent again after a restart) must not be counted twice.
    if (((seq - this.nextSeq) | 0) < 0) return;
    this.nextSeq = (seq + 1) | 0;
    this.queue.push({ buffer, records, foldEntries });
  }

  /** Reads whole segments while fewer than `limit` records were read; returns how many records. */
  drain(limit: number, sink: RecordSink, nowMillis: number): number {
    let consumed = 0;
    while (this.queue.length > 0 && consumed < limit) {
      const segment = this.queue.shift() as QueuedSegment;
      const { buffer, records, foldEntries } = segment;
      if (foldEntries > 0) {
        // Whole, like a raw segment: its records are counted read only once all of them are aggregated.
        // `beat`: a block of millions of records takes a while to replay, and it is one pass: the heartbeat must move.
        const refused = this.mergeFold(buffer, foldEntries, sink, nowMillis, this.beat);
        for (let left = refused; left > 0; left--) this.header.addUndecodable();
      } else {
        const words = new Uint32Array(buffer);
        const floats = new Float64Array(buffer);
        for (let slot = 0; slot < records; slot++) {
          if (!sink(words, floats, slot, nowMillis)) this.header.addUndecodable();
        }
      }
      consumed += records;
      this.header.addSpillSegmentRead(records);
    }
    return consumed;
  }
}
