/**
 * The shards: one ring and one supervised worker each (docs/architecture.md, "Workers and sharding"). What is asked
 * of every worker goes through here: flush, configure, shutdown within a deadline.
 */
import type { LiveWorkerSettings } from '../contract/worker-config.js';
import type { ResolvedOptions } from '../options/table.js';
import { RingWriter } from '../ring/ring-writer.js';
import { shownEndpoint } from '../secrets/shown-endpoint.js';
import { type Clock, type ClockTimer, SYSTEM_CLOCK } from '../contract/clock.js';
import { SteeredClock } from '../contract/steered-clock.js';
import { ShardSupervisor } from '../supervisor/shard-supervisor.js';
import type { Labels } from './labels.js';
import { workerConfig } from './worker-config.js';

export class Shards {
  /** One ring per shard, written by the main thread (RecordWriter), drained by the shard's worker. */
  readonly rings: readonly RingWriter[];
  readonly supervisors: readonly ShardSupervisor[];
  /** The supervisors' time and the shutdown deadline's: the system clock, or a test's steered time (createTestCollector). */
  readonly clock: Clock;

  constructor(options: ResolvedOptions, labels: Labels) {
    this.clock = options.testTime === undefined ? SYSTEM_CLOCK : new SteeredClock(options.testTime);
    const rings: RingWriter[] = [];
    const supervisors: ShardSupervisor[] = [];
    const slots = labels.tenantSlots;
    // A disabled collector (options.disabled) has no shard: nothing is written, nothing drained or exported.
    const shards = options.disabled ? 0 : options.workers;
    for (let shard = 0; shard < shards; shard++) {
      // The tenant stamps let retention tell whether a tenant was written since a worker proposed forgetting it.
      const ring = new RingWriter(options.ringCapacity, Math.floor(options.maxMemoryBytes / options.workers), {
        ring: slots.ringStamp,
        segments: slots.segmentStamp,
      });
      rings.push(ring);
      const config = workerConfig(options, shard, labels.stringTableEntries);
      supervisors.push(
        new ShardSupervisor(shard, ring, labels.strings.buffer, config, options.workerHangMillis, this.clock, slots, options.testHooks),
      );
    }
    this.rings = rings;
    this.supervisors = supervisors;
  }

  /** Resolves once everything recorded before the call has been exported by every shard; rejects saying why not. */
  async flush(timeoutMillis: number): Promise<void> {
    const results = await Promise.allSettled(this.supervisors.map((supervisor) => supervisor.flush(timeoutMillis)));
    const reasons = results.flatMap((result) => (result.status === 'rejected' ? [errorText(result.reason)] : []));
    if (reasons.length > 0) throw new Error(reasons.length === 1 ? reasons[0] : reasons.join('; '));
  }

  /** New live settings for every worker; `check`: shard 0 checks the new endpoint's connectivity (one is enough to know). */
  configure(settings: LiveWorkerSettings, check: boolean): Promise<unknown> {
    return Promise.all(this.supervisors.map((supervisor, shard) => supervisor.configure(settings, check && shard === 0)));
  }

  /** configure(): a new workerHangMillis, from each supervisor's next look at its worker's heartbeat. */
  /** A tenant's creation date, to the worker of its shard (the shard its records go to: record-writer.ts). */
  tenantCreated(id: number, tenant: string, createdMillis: number): void {
    this.supervisors[id % this.supervisors.length].tenantCreated(id, tenant, createdMillis);
  }

  setHangMillis(hangMillis: number): void {
    for (const supervisor of this.supervisors) supervisor.setHangMillis(hangMillis);
  }

  /**
   * Stops the workers within `timeoutMillis`, exporting what is pending; past it, terminates them and rejects saying
   * what was left (`options`: where the export went, and the last error, for the message).
   */
  async stop(timeoutMillis: number, options: ResolvedOptions, lastError: () => string | undefined): Promise<void> {
    const deadline = this.clock.nowMillis() + timeoutMillis;
    let timer: ClockTimer | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timeout'), timeoutMillis);
    });
    const stopped = Promise.allSettled(this.supervisors.map((supervisor) => supervisor.shutdown(deadline)));
    const result = await Promise.race([stopped, timedOut]);
    this.clock.clearTimeout(timer);
    if (result === 'timeout') {
      const left = this.leftover();
      await Promise.allSettled(this.supervisors.map((supervisor) => supervisor.terminate()));
      const error = lastError();
      const target = options.exporters.includes('otlp') ? ` (exporting to ${shownEndpoint(options.otlp.endpoint)})` : '';
      throw new Error(
        `ringmeter: shutdown did not finish within ${timeoutMillis} ms${target}; left behind: ${left.inRing} records in the rings and their overflow, ${left.aggregated} aggregated records not exported${error === undefined ? '' : `; the last export error: ${error}`}`,
      );
    }
    const reasons = result.flatMap((settled) => (settled.status === 'rejected' ? [errorText(settled.reason)] : []));
    if (reasons.length > 0) throw new Error(reasons.join('; '));
  }

  /** Records not yet exported: still in the rings or their overflow, and aggregated by workers but not accepted by the backend. */
  leftover(): { inRing: number; aggregated: number } {
    let inRing = 0;
    let aggregated = 0;
    for (const ring of this.rings) {
      inRing += ring.used + ring.spill.pending;
      const header = ring.header;
      aggregated += ((header.readIndex - header.exportedReadIndex) >>> 0) + ((header.spillRecordsRead - header.exportedSpillRecords) >>> 0);
    }
    return { inRing, aggregated };
  }
}

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
