import type { TestHookCall, TestHookReply } from '../src/contract/test-hooks.js';

/** What a test hook may change in a shard (Shard implements it). */
export interface TestHookTarget {
  setPaused(paused: boolean): void;
  setDrainLimit(recordsPerPass: number | undefined): void;
  holdTenantForgets(held: boolean): void;
  /** Fires the timers due on the shard's steered clock (a test moved its time: src/contract/steered-clock.ts). */
  fireDueTimers(): void;
  /** What the shard's memory budget accounts now, and its limit. */
  budgetBytes(): { used: number; limit: number };
}

/** Obeys one test-hook call (see src/contract/test-hooks.ts); returns the reply to send, if any. */
export function obeyTestHook(target: TestHookTarget, message: TestHookCall): TestHookReply | undefined {
  switch (message.type) {
    case 'testPause':
      target.setPaused(message.paused);
      return { type: 'testHookDone', id: message.id };
    case 'testThrottle':
      target.setDrainLimit(message.recordsPerPass);
      return { type: 'testHookDone', id: message.id };
    case 'testHoldTenantForgets':
      target.holdTenantForgets(message.held);
      return { type: 'testHookDone', id: message.id };
    case 'testClockMoved':
      target.fireDueTimers();
      return { type: 'testHookDone', id: message.id };
    case 'testMeasureMemory': {
      const gc = (globalThis as { gc?: () => void }).gc;
      // Twice: the first pass may only queue finalizers of what the second frees.
      gc?.();
      gc?.();
      const { heapUsed, heapTotal, arrayBuffers } = process.memoryUsage();
      const budget = target.budgetBytes();
      return {
        type: 'testMemory',
        id: message.id,
        heapUsedBytes: heapUsed,
        heapTotalBytes: heapTotal,
        arrayBufferBytes: arrayBuffers,
        budgetUsedBytes: budget.used,
        budgetLimitBytes: budget.limit,
        collected: gc !== undefined,
      };
    }
    case 'testThrow':
      // Out of the message handler, where nothing catches it: the thread ends with the error, as with a bug.
      setImmediate(() => {
        throw new Error('ringmeter test hook: an error nothing caught');
      });
      return undefined;
    case 'testHang':
      // A worker stuck in a loop, which only termination ends.
      for (;;);
  }
}
