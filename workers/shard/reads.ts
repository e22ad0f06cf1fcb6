import type { TenantSelection } from '../../src/contract/analytics.js';
import type { Clock } from '../../src/contract/clock.js';
import type { RingHeader } from '../../src/contract/ring-header.js';
import type { WorkerToMain } from '../../src/contract/protocol.js';
import { Collection } from '../export/collection.js';
import type { CumulativeTotals } from '../export/cumulative-totals.js';
import type { SelfMetrics } from '../export/self-metrics.js';
import { type OpenedRender, RenderQueue } from '../render-queue.js';
import type { Accumulation } from './accumulation.js';
import type { Drain } from './drain.js';
import type { MessageLink } from './message-link.js';

/**
 * The shard's read-only answers: GET /metrics renders (one at a time, in slices: render-queue.ts) and analytics
 * reads. Neither touches export state: a render gives back whatever its snapshot took.
 */
export class ShardReads {
  private readonly renders: RenderQueue;

  constructor(
    private readonly drain: Drain,
    private readonly accumulation: Accumulation,
    private readonly self: SelfMetrics,
    private readonly totals: CumulativeTotals,
    private readonly header: RingHeader,
    private readonly clock: Clock,
    /** The shard label of a render's samples ('' for a collector of one shard). */
    private readonly shardLabels: string,
    private readonly link: MessageLink,
    exporting: () => boolean,
  ) {
    this.renders = new RenderQueue(
      () => this.openRender(),
      (id, render) => (render === undefined ? this.post({ type: 'readCancelled', id }) : link.postRendered(id, render)),
      exporting,
    );
  }

  render(id: number): void {
    this.renders.request(id);
  }

  /** An analytics read is answered as soon as it arrives: only a render can still be running or waiting. */
  cancel(id: number): void {
    this.renders.cancel(id);
  }

  /** Read-only: drains what is published so the answer is current, touches no export state. */
  analytics(id: number, selection: TenantSelection): void {
    this.drain.drainAll();
    this.post({ type: 'analyzed', id, result: this.accumulation.profiles.analytics(selection, this.clock.nowMillis()) });
  }

  stop(): void {
    this.renders.stop();
  }

  /**
   * Opens a render of this shard's series, cumulative since start (GET /metrics). It collects what is pending
   * exactly as an export would and aborts the collection at once, so that every settlement gives back what
   * collecting took: synchronous, so no export settles in between. The text is then made in slices over that
   * snapshot and the accepted totals, which stay frozen until the render closes (cumulative-totals.ts). A batch
   * in flight is pending in the snapshot and moves to the accepted totals after the render: counted once either way.
   */
  private openRender(): OpenedRender {
    this.drain.drainAll();
    const collection = new Collection(Number.MAX_SAFE_INTEGER, this.clock.nowMillis());
    // The last closed interval's gauges; rendering closes nothing.
    this.accumulation.collect(collection);
    this.self.collect(collection, this.drain.ring.readIndex, this.header.spillRecordsRead);
    for (const batch of collection.batches) batch.abort();
    return {
      view: this.totals.openRender(collection.batches, this.shardLabels),
      readIndex: this.drain.ring.readIndex >>> 0,
      spillRecordsRead: this.header.spillRecordsRead >>> 0,
    };
  }

  private post(message: WorkerToMain): void {
    this.link.post(message);
  }
}
