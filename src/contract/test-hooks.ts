/**
 * Test hooks: calls that hold a worker back, slow it down, make it hang or fail, or measure it, so that tests can
 * fill a ring, trip the hang detector or count a loss on purpose. They are no part of the production protocol
 * (protocol.ts) and do not travel on its port: a worker gets a port of its own for them (StartShardTask.testPort)
 * only when its collector was made by `createTestCollector` (internal.ts); any other worker has nothing to listen on.
 */

export type TestHookCall =
  /** Stop (or restart) draining; answered with `testHookDone` once in effect, so that a test counts exactly. */
  | { type: 'testPause'; id: number; paused: boolean }
  /** Drain at most `recordsPerPass` records per pass (undefined: no limit); answered like testPause. */
  | { type: 'testThrottle'; id: number; recordsPerPass?: number }
  /** Loop for good: only termination (the hang detector) ends it. Never answered. */
  | { type: 'testHang' }
  /**
   * Keep (or, with held false, obey at last) every `tenantsForget` the main thread sends: a worker caught between
   * retention's steps 2 and 3, for the crash-mid-handshake test. Answered like testPause.
   */
  | { type: 'testHoldTenantForgets'; id: number; held: boolean }
  /**
   * The test moved its steered time (steered-clock.ts): fire the worker's timers now due. Answered like testPause,
   * once they have fired (what they started, such as a request, goes on after).
   */
  | { type: 'testClockMoved'; id: number }
  /** Collect the worker's garbage (when the process runs with --expose-gc) and answer with `testMemory`. */
  | { type: 'testMeasureMemory'; id: number }
  /** Throw where nothing catches it, as a bug in the worker's own code would: the thread ends. Never answered. */
  | { type: 'testThrow' };

/** A worker's own memory after a full GC, and what its memory budget holds (the memory tests compare them). */
export interface WorkerMemory {
  /** The worker isolate's heap in use (process.memoryUsage() in a worker is the worker's own isolate). */
  heapUsedBytes: number;
  /** The worker isolate's heap as V8 holds it from the system (heapTotal): used plus what it keeps for reuse. */
  heapTotalBytes: number;
  /** ArrayBuffers the worker allocated (its series' typed arrays; shared buffers are the main thread's). */
  arrayBufferBytes: number;
  /** What the shard's memory budget accounts now, and its limit. */
  budgetUsedBytes: number;
  budgetLimitBytes: number;
  /** Whether a full GC ran first (false without --expose-gc: the figures then include garbage). */
  collected: boolean;
}

export type TestHookReply = { type: 'testHookDone'; id: number } | ({ type: 'testMemory'; id: number } & WorkerMemory);
