import type { RecordSink } from './ring-reader.js';
import type { RingHeader } from '../contract/ring-header.js';

interface QueuedSegment {
  words: Uint32Array;
  floats: Float64Array;
  records: number;
}

/**
 * The worker's side of the overflow (spill.ts): segments arrive as messages, in the order sealed, and are read
 * whole. A segment is never split across exports, so that a worker dying after an export never leaves half a
 * segment exported that the main thread would send again. After each segment SPILL_RECORDS_READ, then
 * SPILL_SEGMENTS_READ, tell the main thread it may free the buffer.
 */
export class SpillReader {
  private readonly queue: QueuedSegment[] = [];
  /** The seq the next new segment has: a replacement worker starts where its predecessor stopped reading. */
  private nextSeq: number;

  constructor(private readonly header: RingHeader) {
    this.nextSeq = header.spillSegmentsRead;
  }

  /** Segments waiting to be read. */
  get queued(): number {
    return this.queue.length;
  }

  enqueue(seq: number, buffer: SharedArrayBuffer, records: number): void {
    // A segment already read or queued (sent again after a restart) must not be counted twice.
    if (((seq - this.nextSeq) | 0) < 0) return;
    this.nextSeq = (seq + 1) | 0;
    this.queue.push({ words: new Uint32Array(buffer), floats: new Float64Array(buffer), records });
  }

  /** Reads whole segments while fewer than `limit` records were read; returns how many records. */
  drain(limit: number, sink: RecordSink, nowMillis: number): number {
    let consumed = 0;
    while (this.queue.length > 0 && consumed < limit) {
      const segment = this.queue.shift() as QueuedSegment;
      const { words, floats, records } = segment;
      for (let slot = 0; slot < records; slot++) {
        if (!sink(words, floats, slot, nowMillis)) this.header.addUndecodable();
      }
      consumed += records;
      this.header.addSpillSegmentRead(records);
    }
    return consumed;
  }
}
