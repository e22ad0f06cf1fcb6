import { Collector } from './collector.js';

/**
 * The first argument of every database hook: setup time, so a wrong one throws at once, naming itself. Only the
 * type of a wrong value is shown: a string here may well be a connection string, password included.
 */
export function requireCollector(collector: unknown): Collector {
  if (!(collector instanceof Collector)) {
    throw new TypeError(
      `collector must be a ringmeter Collector (what createCollector() returns; got ${collector === null ? 'null' : typeof collector})`,
    );
  }
  return collector;
}
