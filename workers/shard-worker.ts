import { threadId } from 'node:worker_threads';
import { SYSTEM_CLOCK } from '../src/contract/clock.js';
import { SteeredClock } from '../src/contract/steered-clock.js';
import type { StartShardTask } from '../src/contract/protocol.js';
import { Shard } from './shard.js';

/**
 * The piscina task that starts a shard. It returns as soon as the shard runs: the shard lives on in this thread's
 * event loop (timers and its port), so piscina sees an idle worker and the host process may exit normally.
 * The thread id lets the main thread terminate this worker if it ever hangs.
 */
export default function startShard(task: StartShardTask): number {
  // A collector made for a test that moves time itself: the worker reads the test's steered time (steered-clock.ts).
  new Shard(task, task.testTime === undefined ? SYSTEM_CLOCK : new SteeredClock(task.testTime)).start();
  return threadId;
}
