/**
 * The thread of one shard: a piscina pool of one thread, used plainly. The start task sets the shard up and returns
 * at once (its thread id); the shard then lives in the thread's event loop, and piscina sees an idle thread. Why:
 * a task that ran until shutdown would keep the host process alive (piscina refs its port while a task runs), which
 * an observability library must not do; and a returned task cannot pin a shard to a thread in a shared pool (piscina
 * would start two shards on one idle thread), hence a pool per shard (docs/architecture.md, "Workers and sharding").
 *
 * What piscina reports is passed on, never swallowed: an error thrown in the thread after its task returned (the
 * pool's 'error' event, which piscina emits for exactly that case), and the thread's removal ('workerDestroy'),
 * after which piscina has started a new thread (minThreads 1) for the next start task.
 */
import type { TransferListItem } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { StartShardTask } from '../contract/protocol.js';

/** The compiled worker entry, next to this file's compiled tree (dist/src/supervisor → dist/workers). */
const WORKER_FILE = new URL('../../workers/shard-worker.js', import.meta.url).href;
/**
 * The worker's V8 young generation, at most (MiB). Its state lives in typed arrays and a few objects per tenant,
 * charged to maxMemoryBytes; what it allocates beyond is short-lived (an export's data points). Left at V8's
 * default, an export of 10,000 series grew the young generation's semi-spaces to their 16 MiB maximum and kept
 * them: the worker's heap held ~23 MiB more than it used after a full GC. With 8 MiB it holds ~4 MiB more
 * (docs/architecture.md, "Memory accounting").
 */
const WORKER_YOUNG_GENERATION_MB = 8;
/** How long a replacement waits for piscina to remove a dead thread before it starts anyway. */
const REMOVAL_WAIT_MILLIS = 2_000;

export class ShardThread {
  private readonly pool: Piscina;
  /** Threads piscina removed, and who waits for one to be. */
  private readonly removed = new Set<number>();
  private readonly awaitingRemoval = new Map<number, () => void>();

  constructor(
    /** An error thrown in the thread while no task ran: the shard's own code failed, and the thread ends. */
    onError: (error: unknown) => void,
  ) {
    this.pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Infinity,
      // The default 'sync' mode parks an idle worker in Atomics.wait, which would freeze the shard's timers.
      atomics: 'disabled',
      // The worker reads no environment: every setting arrives in its config (read once, on this thread).
      env: {},
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.pool.on('error', onError);
    this.pool.on('workerDestroy', (worker: { id: number }) => {
      this.removed.add(worker.id);
      this.awaitingRemoval.get(worker.id)?.();
      this.awaitingRemoval.delete(worker.id);
    });
  }

  /** Runs the start task; resolves with the id of the thread it ran on. */
  start(task: StartShardTask, transferList: TransferListItem[]): Promise<number> {
    return this.pool.run(task, { transferList });
  }

  /**
   * Resolves once piscina has removed thread `threadId` (a task sent before that would land on the dying thread),
   * or after REMOVAL_WAIT_MILLIS. `sleep` is the supervisor's clock.
   */
  async removal(threadId: number, sleep: (millis: number) => Promise<void>): Promise<void> {
    if (this.removed.delete(threadId)) return;
    await Promise.race([new Promise<void>((resolve) => this.awaitingRemoval.set(threadId, resolve)), sleep(REMOVAL_WAIT_MILLIS)]);
    this.awaitingRemoval.delete(threadId);
    this.removed.delete(threadId);
  }

  /** Ends thread `threadId` at once, whatever it is doing (a hang, a test's crash). */
  async terminate(threadId: number): Promise<void> {
    await this.pool.threads.find((thread) => thread.threadId === threadId)?.terminate();
  }

  /** Ends the pool and its thread. */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
