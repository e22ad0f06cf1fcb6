import { HEADER_BYTES } from '../contract/ring-layout.js';
import type { RingHeader } from '../contract/ring-header.js';

/** Where decoded records go: the worker's dispatch by record kind. False: the record could not be decoded. */
export type RecordSink = (words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number) => boolean;

/**
 * The consumer side of one shard's ring, in the worker (contract/ring-layout.ts says who writes what). It is the only writer of
 * READ_INDEX, and stores it only after every record below the new value went through the sink.
 */
export class RingReader {
  private readonly words: Uint32Array;
  private readonly floats: Float64Array;
  private readonly mask: number;
  private index: number;

  constructor(
    buffer: SharedArrayBuffer,
    capacity: number,
    private readonly header: RingHeader,
  ) {
    this.words = new Uint32Array(buffer, HEADER_BYTES);
    this.floats = new Float64Array(buffer, HEADER_BYTES);
    this.mask = capacity - 1;
    // A replacement worker resumes where its predecessor stopped: records it had not consumed are still here.
    this.index = header.readIndex;
  }

  /** The next record index to read (records below it are aggregated). */
  get readIndex(): number {
    return this.index;
  }

  /** Reads up to `limit` published records into `sink`; returns how many (undecodable ones included). */
  drain(limit: number, sink: RecordSink, nowMillis: number): number {
    // The Atomics.load of WRITE_INDEX synchronises with the writer's store: every record below it is complete.
    const write = this.header.writeIndex;
    const { words, floats, mask } = this;
    let read = this.index;
    let consumed = 0;
    while (read !== write && consumed < limit) {
      if (!sink(words, floats, read & mask, nowMillis)) this.header.addUndecodable();
      read = (read + 1) | 0;
      consumed++;
    }
    this.index = read;
    // Only now may the main thread reuse the slots we read.
    this.header.publishReadIndex(read);
    return consumed;
  }
}
