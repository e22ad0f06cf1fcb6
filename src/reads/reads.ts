import type { ShardAnalytics, TenantSelection } from '../contract/analytics.js';
import { Exposition, type ExpositionFormat } from './exposition.js';
import { ReadCoalescer } from './read-coalescer.js';
import type { ShardSupervisor } from '../supervisor/shard-supervisor.js';

/** Where a shard's records stood when a scrape was asked for (ShardSupervisor.recordedPosition). */
type Positions = { writeIndex: number; spilled: number }[];

/**
 * The read-only questions the operations routes ask every shard: GET /metrics renders and tenant analytics.
 * Concurrent callers share reads (read-coalescer.ts), each shard's worker takes one read of a kind at a time
 * (supervisor/read-lane.ts) and renders in slices (workers/render-queue.ts): a flood of scrapes costs one render
 * per shard at a time and never holds up an export.
 */
export class Reads {
  private readonly scrapes: ReadCoalescer<Exposition, Positions>;
  /** Analytics reads by selection; an entry goes when it is idle, so there are never more than callers waiting. */
  private readonly analyticsReads = new Map<string, ReadCoalescer<ShardAnalytics[]>>();

  constructor(private readonly supervisors: readonly ShardSupervisor[]) {
    this.scrapes = new ReadCoalescer<Exposition, Positions>(
      async (signal) => {
        const shards = await Promise.all(supervisors.map((supervisor) => supervisor.render(signal)));
        return new Exposition(
          shards.map((shard) => shard.families),
          shards.map(({ readIndex, spillRecordsRead }) => ({ readIndex, spillRecordsRead })),
        );
      },
      {
        mark: () => supervisors.map((supervisor) => supervisor.recordedPosition),
        // Free-running 32-bit positions: compared by their difference.
        covers: (scrape, mark) =>
          mark.every(
            (at, shard) =>
              ((scrape.drained[shard].readIndex - at.writeIndex) | 0) >= 0 &&
              ((scrape.drained[shard].spillRecordsRead - at.spilled) | 0) >= 0,
          ),
      },
    );
  }

  /**
   * Every series as Prometheus text (GET /metrics), cumulative since each worker started. Each worker renders its
   * shard; this thread only joins the texts (exposition.ts). Concurrent callers share one render per shard: a
   * caller arriving while one runs gets it only if its snapshot covers every record the caller had written, else
   * the next (read-coalescer.ts). A render whose callers all gave up (`timeoutMillis`, or `signal`: a client that
   * disconnected) is cancelled in the worker. Rejects if the shards do not answer within `timeoutMillis`.
   */
  scrape(timeoutMillis: number, signal?: AbortSignal): Promise<Exposition> {
    return this.scrapes.read(timeoutMillis, signal, () => {
      const slow = this.supervisors.flatMap((supervisor, shard) => (supervisor.rendering ? [shard] : []));
      const who =
        slow.length === 1 ? `the worker of shard ${slow[0]}` : `the workers${slow.length > 1 ? ` of shards ${slow.join(', ')}` : ''}`;
      return new Error(`ringmeter: ${who} did not render ${slow.length === 1 ? 'its' : 'their'} metrics within ${timeoutMillis} ms`);
    });
  }

  /** GET /metrics as text (the dashboard's data): see scrape. */
  async renderMetrics(format: ExpositionFormat, timeoutMillis: number, signal?: AbortSignal): Promise<string> {
    return (await this.scrape(timeoutMillis, signal)).text(format);
  }

  /**
   * Tenant analytics, one answer per shard (contract/analytics.ts). Every shard is asked: the tenant interner has
   * no lookup that leaves an unknown id un-interned, and each worker filters by the selection, so a shard that does
   * not own a named tenant answers with no tenants. Concurrent callers with the same selection share one read (a
   * caller arriving while one runs gets the next). Rejects if a shard does not answer in `timeoutMillis`.
   */
  analytics(selection: TenantSelection, timeoutMillis: number, signal?: AbortSignal): Promise<ShardAnalytics[]> {
    const key = JSON.stringify(selection);
    let reads = this.analyticsReads.get(key);
    if (reads === undefined) {
      reads = new ReadCoalescer<ShardAnalytics[]>(
        (abort) => Promise.all(this.supervisors.map((supervisor) => supervisor.analytics(selection, abort))),
        { onIdle: () => this.analyticsReads.delete(key) },
      );
      this.analyticsReads.set(key, reads);
    }
    return reads.read(timeoutMillis, signal, () => new Error(`ringmeter: the workers did not answer analytics within ${timeoutMillis} ms`));
  }

  /** GET /metrics renders sent to the workers, and those stopped because every caller gave up (diagnostics, tests). */
  get renders(): { sent: number; cancelled: number; running: boolean } {
    const counts = this.supervisors.map((supervisor) => supervisor.renderCounts);
    return {
      sent: counts.reduce((sum, count) => sum + count.sent, 0),
      cancelled: counts.reduce((sum, count) => sum + count.cancelled, 0),
      running: this.supervisors.some((supervisor) => supervisor.rendering),
    };
  }
}
