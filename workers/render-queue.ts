import type { ShardRender } from '../src/contract/protocol.js';
import type { TotalsRender } from './export/cumulative-totals.js';

/** A render's snapshot, opened: the render itself and how far the snapshot drained the ring and the overflow. */
export interface OpenedRender {
  view: TotalsRender;
  readIndex: number;
  spillRecordsRead: number;
}

/** How long a render works before it lets the event loop run (a due export, a drain pass, a message). */
export const RENDER_SLICE_MILLIS = 2;
/**
 * While an export runs, a render works one slice in this many milliseconds: the export's steps (gzip, each
 * request, each answer) then find the thread free, and a render still moves on while a slow backend keeps an
 * export going for seconds.
 */
export const RENDER_PACE_WHILE_EXPORTING_MILLIS = 10;

/**
 * The GET /metrics renders of one shard worker: one at a time, each in slices of RENDER_SLICE_MILLIS with a turn of
 * the event loop between two, so that a render of tens of megabytes never holds up an export, a drain pass or a
 * control message for more than a slice (its snapshot, taken in one synchronous turn, costs what an export's own
 * collection costs); while an export runs, one slice per RENDER_PACE_WHILE_EXPORTING_MILLIS. A render asked for while one runs waits (the main thread sends at most one at a time; this is
 * the guard). A render whose callers all gave up is cancelled (`cancel`): a waiting one never starts, a running one
 * stops at its next slice; either is answered `undefined`.
 */
export class RenderQueue {
  private running: { id: number; cancelled: boolean } | undefined;
  private readonly waiting: number[] = [];
  private stopped = false;

  constructor(
    /** Takes the render's snapshot (synchronously) and opens it. */
    private readonly open: () => OpenedRender,
    /** The render, or undefined for a cancelled one. */
    private readonly answer: (id: number, render: ShardRender | undefined) => void,
    /** Whether an export is running now. */
    private readonly exporting: () => boolean,
  ) {}

  request(id: number): void {
    if (this.running !== undefined) this.waiting.push(id);
    else void this.run(id);
  }

  cancel(id: number): void {
    if (this.running?.id === id) {
      this.running.cancelled = true;
      return;
    }
    const at = this.waiting.indexOf(id);
    if (at < 0) return;
    this.waiting.splice(at, 1);
    this.answer(id, undefined);
  }

  /** The shard stops: the running render ends at its next slice, unanswered (the port is closing). */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
  }

  private async run(id: number): Promise<void> {
    const running = { id, cancelled: false };
    this.running = running;
    let opened: OpenedRender | undefined;
    try {
      opened = this.open();
      for (;;) {
        const families = opened.view.step(performance.now() + RENDER_SLICE_MILLIS);
        if (families !== undefined) {
          if (!this.stopped) this.answer(id, { families, readIndex: opened.readIndex, spillRecordsRead: opened.spillRecordsRead });
          return;
        }
        // Real time, not the shard's clock: this paces the thread's own work (and a simulated clock would never fire).
        if (this.exporting())
          await new Promise<void>((resolve) => setTimeout(resolve, RENDER_PACE_WHILE_EXPORTING_MILLIS - RENDER_SLICE_MILLIS));
        else await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.stopped) return;
        if (running.cancelled) {
          this.answer(id, undefined);
          return;
        }
      }
    } finally {
      opened?.view.close();
      this.running = undefined;
      const next = this.waiting.shift();
      if (next !== undefined && !this.stopped) void this.run(next);
    }
  }
}
