/**
 * Test hooks: messages that hold a worker back, slow it down or make it hang, so that tests can fill a ring or
 * trip the hang detector on purpose. They are not part of the production protocol (protocol.ts): a worker handles
 * them only when its collector was made by `createTestCollector` (internal.ts), which sets TEST_HOOKS in the
 * options; any other worker ignores them.
 */

/** The options key that turns test hooks on. A symbol: no option name a user can write reaches it. */
export const TEST_HOOKS: unique symbol = Symbol('ringmeter.testHooks');

export type TestHookMessage =
  /** Stop (or restart) draining; answered with `testHookDone` once in effect, so that a test counts exactly. */
  | { type: 'testPause'; id: number; paused: boolean }
  /** Drain at most `recordsPerPass` records per pass (undefined: no limit); answered like testPause. */
  | { type: 'testThrottle'; id: number; recordsPerPass?: number }
  /** Loop for good: only termination (the hang detector) ends it. Never answered. */
  | { type: 'testHang' };

export type TestHookReply = { type: 'testHookDone'; id: number };

export function isTestHookMessage(message: { type: string }): message is TestHookMessage {
  return message.type === 'testPause' || message.type === 'testThrottle' || message.type === 'testHang';
}
