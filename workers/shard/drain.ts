import type { Clock, ClockTimer } from '../../src/contract/clock.js';
import type { RingHeader } from '../../src/contract/ring-header.js';
import type { RecordSink } from '../../src/ring/ring-reader.js';
import { RingReader } from '../../src/ring/ring-reader.js';
import { SpillReader } from '../../src/ring/spill-reader.js';
import { FoldMerge } from '../fold-merge.js';
import { idleDrainCapMillis, MAX_DRAIN_INTERVAL_MILLIS, nextDrainDelayMillis } from '../drain-pacing.js';

/** Records per drain slice; between slices the worker yields so that exports and control messages get a turn. */
export const DRAIN_SLICE = 65_536;

/** What the drain needs to know of the shard's settings, read at each pass (configure() may change them). */
export interface DrainSettings {
  ringCapacity: number;
  workerHangMillis: number;
}

/**
 * The shard's drain: reads its ring, then whole overflow segments, and hands each record to one sink (the
 * accumulation's dispatch), on a timer paced by the rate it sees (drain-pacing.ts). `pass` is the one entry point
 * every reader of current data goes through (an export, a render, an analytics read, a forget); `drainAll` loops it.
 */
export class Drain {
  readonly ring: RingReader;
  readonly spill: SpillReader;
  /** Test hook: stop draining (the timer still beats). */
  paused = false;
  /** Test hook: at most this many records per drain pass. */
  limit = DRAIN_SLICE;
  private timer: ClockTimer | undefined;
  /** When the last timed pass ran (clock ms): with its record count, the rate that paces the next (drain-pacing.ts). */
  private lastPassMillis = 0;
  private stopped = false;

  constructor(
    ring: SharedArrayBuffer,
    private readonly header: RingHeader,
    private readonly settings: DrainSettings,
    private readonly clock: Clock,
    /** Where every drained record goes; false for a record skipped (record-check.ts). */
    private readonly sink: RecordSink,
    /** Called after each pass: what the accumulation now holds is published for the main thread. */
    private readonly afterPass: () => void,
  ) {
    this.ring = new RingReader(ring, settings.ringCapacity, header);
    // A fold block is merged by replaying its entries through the same sink (workers/fold-merge.ts).
    const folds = new FoldMerge();
    this.spill = new SpillReader(header, (buffer, entries, records, now, beat) => folds.merge(buffer, entries, records, now, beat));
  }

  start(): void {
    this.lastPassMillis = this.clock.nowMillis();
    this.schedule(MAX_DRAIN_INTERVAL_MILLIS);
  }

  /** Consumes up to `limit` records, from the ring first, then whole overflow segments; returns how many. */
  pass(limit: number = this.limit): number {
    // Every pass is progress, the export's and a flush's too: a worker that answers a flush has beaten.
    this.header.beat();
    const now = this.clock.nowMillis();
    const fromRing = this.ring.drain(limit, this.sink, now);
    const consumed = fromRing + this.spill.drain(limit - fromRing, this.sink, now);
    this.afterPass();
    return consumed;
  }

  /** Drains everything published when called (a drain throttled by the test hook: one limited pass). */
  drainAll(): void {
    while (!this.paused && this.pass() >= DRAIN_SLICE);
  }

  /** A pass now and the timer re-armed from here: a shorter hang bound caps the idle sleep lower (drain-pacing.ts). */
  restart(): void {
    this.clock.clearTimeout(this.timer);
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private schedule(delayMillis: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => this.tick(), delayMillis);
  }

  private tick(): void {
    let consumed = 0;
    // A paused worker (a test hook) still beats: it is alive, only told not to drain.
    if (this.paused) this.header.beat();
    else consumed = this.pass();
    const now = this.clock.nowMillis();
    const elapsedMillis = now - this.lastPassMillis;
    this.lastPassMillis = now;
    // A full slice means more is waiting: come back at once (after any pending message or timer); else sleep for
    // as long as the ring, at this pass's rate, stays a quarter full.
    this.schedule(
      nextDrainDelayMillis(
        consumed,
        elapsedMillis,
        this.settings.ringCapacity,
        !this.paused && consumed >= DRAIN_SLICE,
        idleDrainCapMillis(this.settings.workerHangMillis),
      ),
    );
  }
}
