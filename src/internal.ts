/**
 * Internals shared by ringmeter's own entry points (hono, postgres, drizzle, pglite) and its tests. Not part of
 * the public API: the package's exports map does not expose this module.
 */
import { Collector, recorderOf } from './collector.js';
import { TEST_HOOKS, type TestSetup } from './options/resolve.js';
import type { CollectorOptions } from './options/table.js';
import type { Recorder } from './engine/recorder.js';

export { resolveOptions } from './options/resolve.js';
export { SYSTEM_ID, UNKNOWN_ID, INVALID_ID, OVERFLOW_ID } from './contract/strings-layout.js';

/**
 * The first argument of every hook: setup time, so a wrong one throws at once, naming itself. Only the type of a
 * wrong value is shown: a string here may well be a connection string, password included.
 */
export function requireCollector(collector: unknown): Collector {
  if (!(collector instanceof Collector)) {
    throw new TypeError(
      `collector must be a ringmeter Collector (what createCollector() returns; got ${collector === null ? 'null' : typeof collector})`,
    );
  }
  return collector;
}

/** What a hook reaches behind a Collector: its recorder, typed from the source (engine/recorder.ts), never re-declared. */
export type CollectorInternals = Recorder;

/**
 * The recorder behind `collector`. Every hook calls this at setup with the argument it was given, so a wrong one
 * fails at once with the same TypeError naming it (requireCollector), in every hook.
 */
export function internals(collector: Collector | unknown): CollectorInternals {
  return recorderOf(requireCollector(collector));
}

export { SteeredClock, steeredTime } from './contract/steered-clock.js';

/**
 * A collector whose workers obey test hooks (pause, throttle, hang, kill: see test-hooks.ts). For tests only.
 * `setup.time`: a steered time (steeredTime()): the collector's supervisors and workers read it instead of the
 * system clock, and it moves only with testHooks.advanceClock().
 */
export function createTestCollector(options: CollectorOptions = {}, setup: TestSetup = {}): Collector {
  return new Collector({ ...options, [TEST_HOOKS]: setup } as CollectorOptions);
}
