/**
 * configure(): the options that may change on a running collector (the rows of the table marked `live`), checked
 * exactly as createCollector checks them, and what a change asks of each thread (change.ts).
 */
import { refuseUnknownOptions, requireObject } from './checks.js';
import { GIVEN_LEVELS, LIVE_OPTION_NAMES, OPTION_SITES, setAt, valueAt } from './rows.js';
import { resolveOptions, TEST_HOOKS } from './resolve.js';
import type { CollectorOptions, LiveOptionName, ResolvedOptions } from './table.js';

/**
 * What `collector.configure()` accepts: the options that can change on a running collector. The caps `maxTenants`,
 * `maxRoutes` and `maxSqlTexts` may not grow past their values at creation (the shared string table was sized from
 * them).
 */
export type LiveOptions = Pick<CollectorOptions, LiveOptionName>;

/**
 * The options after `configure(patch)`, validated exactly as createCollector validates them (resolveOptions, the
 * same TypeError or RangeError naming the option), or a throw that changes nothing. Options that are not live are
 * refused naming them; a cap may not grow past `started`. Every option not given keeps its current value (nested
 * ones too: `{ metrics: { db: false } }` leaves the other families as they are), and the environment is not read
 * again: what it gave at creation is already in `current`.
 */
export function reconfiguredOptions(current: ResolvedOptions, started: ResolvedOptions, patch: LiveOptions): ResolvedOptions {
  requireObject('configure options', patch);
  const top = GIVEN_LEVELS[0].names;
  const fixed = Object.keys(patch).filter((name) => top.includes(name) && !LIVE_OPTION_NAMES.includes(name));
  if (fixed.length > 0) {
    throw new TypeError(
      `options.${fixed.join(', options.')} cannot change on a running collector (${fixed.length === 1 ? 'it needs' : 'they need'} a restart); ` +
        `configure() changes ${LIVE_OPTION_NAMES.join(', ')}`,
    );
  }
  refuseUnknownOptions('options', patch, LIVE_OPTION_NAMES);
  // Every current value goes back through resolveOptions as if given, the patch's given values over them.
  const given: Record<string, unknown> = { env: {}, [TEST_HOOKS]: current.testHooks ? { time: current.testTime } : undefined };
  for (const site of OPTION_SITES) {
    const patched = valueAt(patch, site.given);
    setAt(given, site.given, patched !== undefined ? patched : valueAt(current, site.path.split('.')));
  }
  // A nested level of the patch that is no object is refused as createCollector refuses it, before its values.
  for (const level of GIVEN_LEVELS.slice(1)) {
    const patched = valueAt(patch, level.given);
    if (patched !== undefined) {
      requireObject(level.name, patched);
      refuseUnknownOptions(level.name, patched, level.names);
    }
  }
  const next = resolveOptions(given as CollectorOptions);
  for (const site of OPTION_SITES) {
    const ceiling = site.row.fixedCeiling;
    if (ceiling === undefined) continue;
    const at = site.path.split('.');
    const [was, now] = [valueAt(started, at) as number, valueAt(next, at) as number];
    if (now > was) {
      throw new RangeError(
        `${site.name} cannot grow past its value at creation (${was}) on a running collector: ${ceiling} (got ${now}; a larger cap needs a restart)`,
      );
    }
  }
  return next;
}
