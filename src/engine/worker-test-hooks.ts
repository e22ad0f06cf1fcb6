/**
 * Test hooks: hold the workers back, slow them down, make one hang, fail or die, measure their memory, so that tests
 * can fill a ring, trip the hang detector or count a loss on purpose. They reach the workers on a port of their own
 * (contract/test-hooks.ts), which only a collector made by createTestCollector (internal.ts) opens; on any other
 * collector every hook throws.
 */
import type { Clock } from '../contract/clock.js';
import { SteeredClock } from '../contract/steered-clock.js';
import type { WorkerMemory } from '../contract/test-hooks.js';
import type { ShardSupervisor } from '../supervisor/shard-supervisor.js';

export class WorkerTestHooks {
  constructor(
    private readonly supervisors: readonly ShardSupervisor[],
    private readonly enabled: boolean,
    /** The supervisors' clock: steered when the test moves time itself (createTestCollector's `time`). */
    private readonly clock: Clock,
  ) {}

  /**
   * Moves the steered time on by `millis` (createTestCollector's `time`), then fires what fell due: the main thread's
   * timers, then each worker's (resolves once they have fired; requests they started go on after).
   */
  async advanceClock(millis: number): Promise<void> {
    const supervisors = this.all();
    if (!(this.clock instanceof SteeredClock))
      throw new Error('ringmeter: advanceClock needs a steered time (createTestCollector(options, { time }))');
    this.clock.advance(millis);
    await Promise.all(supervisors.map((supervisor) => supervisor.testCall((id) => ({ type: 'testClockMoved', id }))));
  }

  /** Hold back (or release) every worker. */
  async pauseWorkers(paused: boolean): Promise<void> {
    await Promise.all(this.all().map((supervisor) => supervisor.testCall((id) => ({ type: 'testPause', id, paused }))));
  }

  /** Terminate one shard's worker as if it had crashed; resolves when its replacement runs. */
  killWorker(shard = 0): Promise<void> {
    return this.one(shard).replaceWorker('terminate');
  }

  /** Limit each worker's drain pass (undefined: no limit). */
  async throttleWorkers(recordsPerPass: number | undefined): Promise<void> {
    await Promise.all(this.all().map((supervisor) => supervisor.testCall((id) => ({ type: 'testThrottle', id, recordsPerPass }))));
  }

  /** Keep every worker from obeying the main thread's tenantsForget (tenant retention), or let them. */
  async holdTenantForgets(held: boolean): Promise<void> {
    await Promise.all(this.all().map((supervisor) => supervisor.testCall((id) => ({ type: 'testHoldTenantForgets', id, held }))));
  }

  /** Each worker's own memory after a full GC (with --expose-gc), and what its budget accounts. */
  measureWorkerMemory(timeoutMillis = 10_000): Promise<WorkerMemory[]> {
    return Promise.all(
      this.all().map((supervisor) =>
        // Given up after `timeoutMillis`: a worker that never answers does not hold the test for good.
        supervisor.testCall<WorkerMemory>((id) => ({ type: 'testMeasureMemory', id }), AbortSignal.timeout(timeoutMillis)),
      ),
    );
  }

  /** Make one shard's worker throw where nothing catches it, as a bug of its own would; resolves once it is replaced. */
  failWorker(shard = 0): Promise<void> {
    return this.one(shard).replaceWorker('throw');
  }

  /** Make one shard's worker hang. */
  hangWorker(shard = 0): Promise<void> {
    return this.one(shard).hang();
  }

  private all(): readonly ShardSupervisor[] {
    this.requireEnabled();
    return this.supervisors;
  }

  private one(shard: number): ShardSupervisor {
    this.requireEnabled();
    return this.supervisors[shard];
  }

  private requireEnabled(): void {
    if (!this.enabled) throw new Error('ringmeter: test hooks are off; make the collector with createTestCollector (ringmeter/internal)');
  }
}
