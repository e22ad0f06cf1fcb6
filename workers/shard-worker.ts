import { threadId } from 'node:worker_threads';
import type { StartShardTask } from '../src/contract/protocol.js';
import { Shard } from './shard.js';

/**
 * The piscina task that starts a shard. It returns as soon as the shard runs: the shard lives on in this thread's
 * event loop (timers and its port), so piscina sees an idle worker and the host process may exit normally.
 * The thread id lets the main thread terminate this worker if it ever hangs.
 */
export default function startShard(task: StartShardTask): number {
  new Shard(task).start();
  return threadId;
}
