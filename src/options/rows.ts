/**
 * The options table (table.ts) laid out for reading: each option with where it is given, where it is resolved and
 * the name a message blames; the names each level accepts; the live set; the defaults. Computed once, from the table.
 */
import type { Option, Row, Rows } from './option.js';
import { OPTIONS } from './table.js';

/** One option of the table, located. */
export interface OptionSite {
  readonly row: Option<unknown>;
  /** Where it is given: `['otlp', 'endpoint']`; a flat group's option at the top (`['burstShare']`). */
  readonly given: readonly string[];
  /** Where it is resolved, and how configure() and the change diff name it: `otlp.endpoint`, `activity.burstShare`. */
  readonly path: string;
  /** Whom a message blames: `options.otlp.endpoint`. */
  readonly name: string;
  /** Whether a shard worker receives it: its row, or its group, is marked `worker`. */
  readonly worker: boolean;
}

/** A level of the given options (the top, or a nested group) and the names it accepts, in the table's order. */
export interface GivenLevel {
  /** `options`, `options.otlp`. */
  readonly name: string;
  readonly given: readonly string[];
  readonly names: readonly string[];
}

function walk(
  rows: Rows,
  given: readonly string[],
  path: readonly string[],
  sites: OptionSite[],
  levels: GivenLevel[],
  worker = false,
): void {
  const names: string[] = [];
  const level: GivenLevel = { name: ['options', ...given].join('.'), given, names };
  levels.push(level);
  for (const [key, row] of Object.entries(rows) as [string, Row][]) {
    if (row.kind === 'option') {
      names.push(key);
      const option = row as Option<unknown>;
      sites.push({
        row: option,
        given: [...given, key],
        path: [...path, key].join('.'),
        name: ['options', ...given, key].join('.'),
        worker: worker || option.worker === true,
      });
    } else if (row.flat) {
      // Its options are given at this level; only the resolved options group them.
      const inner: GivenLevel[] = [];
      walk(row.rows, given, [...path, key], sites, inner, worker || row.worker === true);
      names.push(...inner[0].names);
    } else {
      names.push(key);
      walk(row.rows, [...given, key], [...path, key], sites, levels, worker || row.worker === true);
    }
  }
}

const sites: OptionSite[] = [];
const levels: GivenLevel[] = [];
walk(OPTIONS, [], [], sites, levels);

/** Every option, in the table's order. */
export const OPTION_SITES: readonly OptionSite[] = sites;
/** The top level (with `env`, which says where variables are read) and every nested group. */
export const GIVEN_LEVELS: readonly GivenLevel[] = levels.map((level) =>
  level.given.length === 0 ? { ...level, names: [...level.names, 'env'] } : level,
);

/** The top-level options configure() may change: a row marked `live`, or a nested group of live rows. */
export const LIVE_OPTION_NAMES: readonly string[] = Object.entries(OPTIONS as Rows).flatMap(([key, row]) => {
  const isLive = (r: Row) => r.kind === 'option' && (r as Option<unknown>).live !== undefined;
  if (row.kind === 'option') return isLive(row) ? [key] : [];
  if (row.flat) return Object.entries(row.rows).flatMap(([inner, r]) => (isLive(r) ? [inner] : []));
  return row.live ? [key] : [];
});

/** Reads a value at a path of an object (undefined where a level is missing). */
export function valueAt(object: unknown, path: readonly string[]): unknown {
  let value = object;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Writes a value at a path, making the levels on the way. */
export function setAt(object: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let level = object;
  for (const key of path.slice(0, -1)) {
    level[key] ??= {};
    level = level[key] as Record<string, unknown>;
  }
  level[path[path.length - 1]] = value;
}

/** Is a default a plain value: a string, number or boolean, or a list (DefaultsOf, the type, says the same)? */
function isPlain(value: unknown): boolean {
  return Array.isArray(value) || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** The plain defaults, as the options are given (nested groups nested, flat ones flat): DEFAULT_OPTIONS. */
export function plainDefaults(): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const site of OPTION_SITES) if (isPlain(site.row.default)) setAt(defaults, site.given, site.row.default);
  return defaults;
}

/**
 * The resolved values of the options a shard worker receives (and, with `liveOnly`, only those configure() may
 * change), as resolved; lists and records copied, so that a worker's config never shares an object with the options.
 */
export function workerOptions(resolved: object, liveOnly = false): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const site of OPTION_SITES) {
    if (!site.worker || (liveOnly && site.row.live === undefined)) continue;
    const value = valueAt(resolved, site.path.split('.'));
    setAt(
      picked,
      site.path.split('.'),
      Array.isArray(value) ? [...value] : value !== null && typeof value === 'object' ? { ...value } : value,
    );
  }
  return picked;
}
