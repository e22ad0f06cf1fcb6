import { Collector } from './collector.js';
import { quote } from './options.js';

/** The first argument of every database hook: setup time, so a wrong one throws at once, naming itself. */
export function requireCollector(collector: unknown): Collector {
  if (!(collector instanceof Collector)) {
    throw new TypeError(`collector must be a ringmeter Collector (what createCollector() returns; got ${quote(collector)})`);
  }
  return collector;
}
