/**
 * Fills in every option of createCollector from the table (table.ts): the option, else the environment variable,
 * else what another option carries, else the default. The environment is read here, once, at the edge: nothing
 * else in ringmeter reads a variable (the workers get an empty environment and every setting in their config).
 */
import { requireObject, refuseUnknownOptions } from './checks.js';
import type { DefaultsOf } from './option.js';
import { GIVEN_LEVELS, OPTION_SITES, type OptionSite, plainDefaults, setAt, valueAt } from './rows.js';
import type { CollectorOptions, OPTIONS, ResolvedOptions } from './table.js';

/** The options key that turns test hooks on (createTestCollector). A symbol: no option name a user can write reaches it. */
export const TEST_HOOKS: unique symbol = Symbol('ringmeter.testHooks');

/** What createTestCollector puts under TEST_HOOKS: `time`, a steered time (contract/steered-clock.ts), if the test moves time itself. */
export interface TestSetup {
  time?: SharedArrayBuffer;
}

/** The defaults of the options that have a plain one (a computed default, such as a random instance id, is not shown). */
export const DEFAULT_OPTIONS = plainDefaults() as DefaultsOf<typeof OPTIONS>;

/** A value read from the environment, with the variable it came from. */
interface FromVariable {
  name: string;
  value: unknown;
}

/**
 * Every option filled in. Throws a TypeError or RangeError naming the option, or the variable its value came from:
 * first a level that is no object, then a name nobody reads, then a variable that does not parse, then a value.
 */
export function resolveOptions(options: CollectorOptions = {}): ResolvedOptions {
  requireObject('options', options);
  const env = options.env ?? process.env;
  requireObject('options.env', env);
  for (const level of GIVEN_LEVELS.slice(1)) requireObject(level.name, valueAt(options, level.given) ?? {});
  for (const level of GIVEN_LEVELS) refuseUnknownOptions(level.name, (valueAt(options, level.given) ?? {}) as object, level.names);
  const fromVariables = readEnvironment(env);

  const resolved = new Map<string, unknown>();
  const resolving = new Set<string>();
  const sitesByPath = new Map(OPTION_SITES.map((site) => [site.path, site]));
  // An option may read one resolved before it (a default, an inherited value, a bound): resolved on first use.
  const earlier = (path: string): unknown => {
    if (!resolved.has(path)) {
      const site = sitesByPath.get(path);
      if (site === undefined || resolving.has(path))
        throw new Error(`ringmeter: the options table reads ${path} before it can be resolved`);
      resolving.add(path);
      resolved.set(path, resolveOne(site, valueAt(options, site.given), fromVariables.get(site.path), earlier));
    }
    return resolved.get(path);
  };
  const result: Record<string, unknown> = {};
  for (const site of OPTION_SITES) setAt(result, site.path.split('.'), earlier(site.path));
  const setup = (options as { [TEST_HOOKS]?: TestSetup })[TEST_HOOKS];
  result.testHooks = setup !== undefined;
  result.testTime = setup?.time;
  return result as ResolvedOptions;
}

function resolveOne(site: OptionSite, given: unknown, variable: FromVariable | undefined, earlier: (path: string) => unknown): unknown {
  const { row, name } = site;
  const check = (blamed: string, value: unknown) => row.check(blamed, value, earlier);
  if (given !== undefined) {
    const value = row.given === undefined ? check(name, given) : row.given(check(name, given));
    return row.merge !== undefined && variable !== undefined ? row.merge(check(variable.name, variable.value), value) : value;
  }
  if (variable !== undefined) return check(variable.name, variable.value);
  const inherited = row.inherit?.(earlier);
  if (inherited !== undefined) return check(name, inherited);
  return check(name, typeof row.default === 'function' ? row.default(earlier) : row.default);
}

/**
 * The variables the table names, parsed, by option path; for each option the first variable set (and not blank)
 * wins. A value that does not parse throws naming its variable.
 */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): Map<string, FromVariable> {
  const read = new Map<string, FromVariable>();
  for (const site of OPTION_SITES) {
    for (const variable of site.row.variables ?? []) {
      const value = env[variable.name]?.trim();
      if (value === undefined || value === '') continue;
      read.set(site.path, { name: variable.name, value: variable.parse(variable.name, value) });
      break;
    }
  }
  return read;
}
