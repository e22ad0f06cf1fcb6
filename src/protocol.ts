import type { MessagePort } from 'node:worker_threads';
import type { WorkerConfig } from './worker-config.js';

/**
 * Messages between the main thread and a shard worker. Records never travel here (they go through the ring);
 * these are the rare control messages, over one MessagePort per shard.
 */

/** The piscina task that starts a shard's worker. It resolves as soon as the worker runs; the worker keeps going. */
export interface StartShardTask {
  shard: number;
  ring: SharedArrayBuffer;
  strings: SharedArrayBuffer;
  port: MessagePort;
  config: WorkerConfig;
}

export type MainToWorker =
  /** Drain everything published so far, export it, then answer `flushed` or `flushFailed`. */
  | { type: 'flush'; id: number }
  /** Like flush, then stop every timer and close the port. */
  | { type: 'shutdown'; id: number }
  /** Stop draining until `resume` (tests use it to hold the worker back). */
  | { type: 'pause' }
  | { type: 'resume' };

export type WorkerToMain =
  | { type: 'flushed'; id: number }
  | { type: 'flushFailed'; id: number; reason: string }
  | { type: 'stopped'; id: number; reason?: string }
  /** Sent after every export, so that `stats().export.lastError` can be read synchronously. */
  | { type: 'exported'; ok: boolean; error?: string };

export function unexpectedMessage(message: never): never {
  throw new TypeError(`unexpected message ${JSON.stringify(message)}`);
}
