/**
 * One running worker as its supervisor holds it: the main thread's ends of its port and, for a collector made for
 * tests, of its test port (contract/test-hooks.ts); its thread once its start task has returned; and, once it is
 * going, whether it failed and why. A replacement gets a link of its own.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { MainToWorker, WorkerToMain } from '../contract/protocol.js';
import type { TestHookCall, TestHookReply } from '../contract/test-hooks.js';

export class WorkerLink {
  readonly port: MessagePort;
  readonly testPort: MessagePort | undefined;
  /** The worker's ends, for its start task (transferred). */
  readonly workerEnds: { port: MessagePort; testPort: MessagePort | undefined };
  /** Settles when the worker's end closes: its thread ended, however it ended. */
  readonly closed: Promise<void>;
  threadId: number | undefined;
  /** Why it is being replaced when it failed (a hang, an error); undefined while it runs, or when it just exited. */
  failure: string | undefined;
  gone = false;

  constructor(testHooks: boolean, onMessage: (message: WorkerToMain) => void, onTestReply: (reply: TestHookReply) => void) {
    const main = new MessageChannel();
    const test = testHooks ? new MessageChannel() : undefined;
    this.port = main.port1;
    this.testPort = test?.port1;
    this.workerEnds = { port: main.port2, testPort: test?.port2 };
    this.closed = new Promise((resolve) => this.port.once('close', resolve));
    this.port.on('message', onMessage);
    this.testPort?.on('message', onTestReply);
    // After the listeners, which ref a port: the ports must not keep the host process alive, save while an answer
    // is awaited (keepAlive); the worker's own timers do not either (see workers/shard-worker.ts).
    this.keepAlive(false);
  }

  post(message: MainToWorker): void {
    this.port.postMessage(message);
  }

  /** A test hook; false when the worker has no test port (test hooks are off). */
  postTest(message: TestHookCall): boolean {
    this.testPort?.postMessage(message);
    return this.testPort !== undefined;
  }

  /** While an answer is awaited the ports keep the process alive (`await collector.flush()` at the end of a script). */
  keepAlive(awaited: boolean): void {
    for (const port of [this.port, this.testPort]) {
      if (awaited) port?.ref();
      else port?.unref();
    }
  }

  close(): void {
    this.port.close();
    this.testPort?.close();
  }
}
