/**
 * The series a shard's worker holds, as the fold sees them (src/ring/spill.ts): a set of fold-key fingerprints
 * (contract/fold-layout.ts, foldKeyHash) in a SharedArrayBuffer that the worker adds to as it accumulates records
 * under their own tenant, and that the main thread reads only on the fold path, when a fold block has no room left
 * for new series. A series the worker holds then still gets an entry, from the share of the block kept for them,
 * instead of going to its overflow series: so that a burst does not leave a held series with part of its records
 * under `__overflow__` (docs/architecture.md, "The fold").
 *
 * Who writes what: only the worker writes a slot, once, from 0 to a fingerprint (Atomics.store), and then COUNT; the
 * main thread reads them with Atomics.load. A fingerprint is never removed (a series the worker forgot stays "held":
 * it is given an entry it may not need, and the worker decides again when it replays it, so nothing is counted
 * twice or lost). A fingerprint shared by two series does the same: the fold keeps both series' records under
 * their own keys, and the worker's replay decides. The set stops growing at half its slots (probes stay short);
 * the series added after that are not seen by the fold (their burst may go partly to overflow series, as before).
 */
const COUNT = 0;
const SLOTS_AT = 1;
const MIN_SLOTS = 1 << 12;
const MAX_SLOTS = 1 << 22;
/** Slots per byte of a shard's memory bound: a worker series costs well over 256 bytes, so half the slots suffice. */
const BOUND_BYTES_PER_SLOT = 256;

/** The slots a shard of `memoryBytes` gets: a power of two, 2^12 to 2^22 (16 KiB to 16 MiB). */
export function heldSeriesSlots(memoryBytes: number): number {
  let slots = MIN_SLOTS;
  while (slots < MAX_SLOTS && slots * BOUND_BYTES_PER_SLOT < memoryBytes) slots *= 2;
  return slots;
}

export class HeldSeries {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly limit: number;
  /** The worker's own count (it alone adds), published in COUNT. */
  private added = 0;

  /** `source`: the buffer the main thread made (the worker's side), or the number of slots to make one of. */
  constructor(source: SharedArrayBuffer | number) {
    this.buffer = typeof source === 'number' ? new SharedArrayBuffer((source + SLOTS_AT) * 4) : source;
    this.words = new Int32Array(this.buffer);
    const slots = this.words.length - SLOTS_AT;
    this.mask = slots - 1;
    this.limit = slots >>> 1;
    this.added = Atomics.load(this.words, COUNT);
  }

  /** Series added (main thread: as published). */
  get count(): number {
    return Atomics.load(this.words, COUNT);
  }

  /** Worker only. Adds a fingerprint (any 32-bit integer) unless it is there or the set is at half its slots. */
  add(hash: number): void {
    const fingerprint = hash | 1;
    const words = this.words;
    let slot = hash & this.mask;
    for (;;) {
      // Plain loads suffice on the worker: it is the only writer.
      const found = words[SLOTS_AT + slot];
      if (found === fingerprint) return;
      if (found === 0) break;
      slot = (slot + 1) & this.mask;
    }
    if (this.added >= this.limit) return;
    Atomics.store(words, SLOTS_AT + slot, fingerprint);
    Atomics.store(words, COUNT, ++this.added);
  }

  /** Main thread. Whether the worker has added this fingerprint. */
  has(hash: number): boolean {
    const fingerprint = hash | 1;
    const words = this.words;
    let slot = hash & this.mask;
    for (;;) {
      const found = Atomics.load(words, SLOTS_AT + slot);
      if (found === fingerprint) return true;
      if (found === 0) return false;
      slot = (slot + 1) & this.mask;
    }
  }
}
