import type { MessagePort } from 'node:worker_threads';
import type { TenantSelection } from '../../src/contract/analytics.js';
import {
  type MainToWorker,
  type MetricFamilyText,
  type ShardRender,
  unexpectedMessage,
  type WorkerToMain,
} from '../../src/contract/protocol.js';
import type { TestHookCall } from '../../src/contract/test-hooks.js';
import type { LiveWorkerSettings } from '../../src/contract/worker-config.js';
import { obeyTestHook, type TestHookTarget } from '../test-hooks.js';

/** What the main thread's messages ask of a shard (protocol.ts), one method per message. */
export interface ShardMessages {
  flush(id: number, timeoutMillis: number): void;
  spill(seq: number, buffer: SharedArrayBuffer, records: number, foldEntries: number): void;
  shutdown(id: number, deadlineMillis: number): void;
  render(id: number): void;
  cancelRead(id: number): void;
  configure(id: number, settings: LiveWorkerSettings, checkId: number | undefined): void;
  tenantsRetired(ids: number[]): void;
  tenantCreated(id: number, tenant: string, createdMillis: number): void;
  analytics(id: number, selection: TenantSelection): void;
}

/** A family's chunks, as a transfer list (each chunk has a buffer of its own: TextEncoder made it). */
function transferable(family: MetricFamilyText): ArrayBuffer[] {
  return family.samples.map((chunk) => chunk.buffer as ArrayBuffer);
}

/**
 * The shard's side of its ports: the main thread's messages read into calls, the shard's answers posted back, and
 * the test hooks' port (only a worker of a collector made for tests has one: src/contract/test-hooks.ts).
 */
export class MessageLink {
  constructor(
    private readonly port: MessagePort,
    private readonly testPort: MessagePort | undefined,
  ) {}

  listen(shard: ShardMessages, hooks: TestHookTarget): void {
    this.port.on('message', (message: MainToWorker) => this.dispatch(shard, message));
    this.testPort?.on('message', (message: TestHookCall) => {
      const reply = obeyTestHook(hooks, message);
      if (reply !== undefined) this.testPort?.postMessage(reply);
    });
  }

  post(message: WorkerToMain): void {
    this.port.postMessage(message);
  }

  /** A render's answer: its chunks are transferred, not copied, so a render of tens of megabytes crosses in no time. */
  postRendered(id: number, render: ShardRender): void {
    this.port.postMessage({ type: 'rendered', id, ...render } satisfies WorkerToMain, render.families.flatMap(transferable));
  }

  close(): void {
    this.port.close();
  }

  private dispatch(shard: ShardMessages, message: MainToWorker): void {
    switch (message.type) {
      case 'flush':
        shard.flush(message.id, message.timeoutMillis);
        return;
      case 'spill':
        shard.spill(message.seq, message.buffer, message.records, message.foldEntries);
        return;
      case 'shutdown':
        shard.shutdown(message.id, message.deadlineMillis);
        return;
      case 'render':
        shard.render(message.id);
        return;
      case 'cancelRead':
        shard.cancelRead(message.id);
        return;
      case 'configure':
        shard.configure(message.id, message.settings, message.checkId);
        return;
      case 'tenantsForget':
        shard.tenantsRetired(message.ids);
        return;
      case 'tenantCreated':
        shard.tenantCreated(message.id, message.tenant, message.createdMillis);
        return;
      case 'analytics':
        shard.analytics(message.id, message.selection);
        return;
      default:
        unexpectedMessage(message);
    }
  }
}
