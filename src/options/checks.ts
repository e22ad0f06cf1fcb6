/**
 * The checks every option goes through, wherever options are taken: createCollector and configure() (the options
 * table, table.ts), flush() and shutdown(), collector.tenant(), and every hook's options (honoMetrics,
 * operationsRoutes, instrumentPostgres, instrumentPglite, drizzleLogger). Each throws a TypeError (wrong type) or a
 * RangeError (out of range) whose message names what was wrong: the option (`options.otlp.timeoutMillis`), the
 * environment variable it came from, or the call's argument; and quotes the value when it is safe to show.
 */
import { nearestName } from './nearest-name.js';

/** A check of one value, given the name to blame: what the options table holds for each option. */
export type Check<T> = (name: string, value: unknown) => T;

/** Every name an options object may carry, as a record so that the compiler checks it against the options type. */
export type OptionNames<T> = Readonly<Record<keyof T, true>>;

/** A value fit to quote in an error message: short, and only its type when it is an object. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}

/**
 * An options argument: an object (`what` names it: `options`, `flush options`). With `showValue`, a wrong one is
 * quoted (its type only, if it is an object).
 */
export function requireObject(what: string, value: unknown, showValue = false): asserts value is object {
  if (value === null || typeof value !== 'object')
    throw new TypeError(`${what} must be an object${showValue ? ` (got ${quote(value)})` : ''}`);
}

/**
 * Throws a TypeError naming the first property of `options` that is not in `names`, with the nearest valid name
 * when one is close: `options.otlp.endpointt is not an option (did you mean endpoint?)`.
 */
export function refuseUnknownOptions(path: string, options: object, names: Readonly<Record<string, unknown>> | readonly string[]): void {
  const valid = Array.isArray(names) ? (names as readonly string[]) : Object.keys(names);
  for (const name of Object.keys(options)) {
    if (valid.includes(name)) continue;
    const nearest = nearestName(name, valid);
    const hint = nearest === undefined ? `valid options: ${valid.join(', ')}` : `did you mean ${nearest}?`;
    throw new TypeError(`${path}${member(name)} is not an option (${hint})`);
  }
}

/** `.name`, or `["odd name"]` for a name that is no identifier (quoted, so control characters show escaped). */
function member(name: string): string {
  const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
  return /^[A-Za-z_$][\w$]*$/.test(shown) ? `.${shown}` : `[${JSON.stringify(shown)}]`;
}

export function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number (got ${quote(value)})`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max} (got ${quote(value)})`);
  }
  return value;
}

/** An integer from `min` to `max`. */
export function integer(min: number, max: number): Check<number> {
  return (name, value) => integerIn(name, value, min, max);
}

/** A power of two from `min` to `max`. */
export function powerOfTwo(min: number, max: number): Check<number> {
  return (name, value) => {
    const checked = integerIn(name, value, min, max);
    if ((checked & (checked - 1)) !== 0) throw new RangeError(`${name} must be a power of two (got ${quote(value)})`);
    return checked;
  };
}

/** A number above `min` and at most `max` (a share). */
export function numberAboveAtMost(min: number, max: number): Check<number> {
  return (name, value) => {
    if (typeof value !== 'number') throw new TypeError(`${name} must be a number (got ${quote(value)})`);
    if (!(value > min && value <= max))
      throw new RangeError(`${name} must be a number above ${min} and at most ${max} (got ${quote(value)})`);
    return value;
  };
}

export const flag: Check<boolean> = (name, value) => {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean (got ${quote(value)})`);
  return value;
};

export function oneOfIn<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string (got ${quote(value)})`);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${quote(value)})`);
  }
  return value as T;
}

/** One of the strings `allowed`. */
export function oneOf<T extends string>(...allowed: readonly T[]): Check<T> {
  return (name, value) => oneOfIn(name, value, allowed);
}

/** A string of `min` to `max` characters. */
export function text(min: number, max: number): Check<string> {
  return (name, value) => {
    if (typeof value !== 'string') throw new TypeError(`${name} must be a string (got ${quote(value)})`);
    if (value.length < min || value.length > max) throw new RangeError(`${name} must be ${min} to ${max} characters long`);
    return value;
  };
}

/** An absolute http: or https: URL. `shown` makes the text quoted in a message safe to show (credentials masked). */
export function httpUrl(shown: (value: string) => string): Check<string> {
  return (name, value) => {
    if (typeof value !== 'string') throw new TypeError(`${name} must be a string (got ${quote(value)})`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new RangeError(`${name} must be an absolute http(s) URL (got ${quote(shown(value))})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RangeError(`${name} must use http: or https: (got ${quote(url.protocol)})`);
    }
    return value;
  };
}

/** An object of names to string values, such as headers, whose values may be secrets: a message never shows one. */
export const secretStrings: Check<Record<string, string>> = (name, value) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object of header names to string values`);
  }
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    // The value may be a secret: name the key, never echo the value.
    if (typeof entry !== 'string') throw new TypeError(`${name}[${JSON.stringify(key)}] must be a string`);
    result[key] = entry;
  }
  return result;
};

/** An object of names to string, number or boolean values (resource attributes). */
export const scalarRecord: Check<Record<string, string | number | boolean>> = (name, value) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${name} must be an object`);
  const result: Record<string, string | number | boolean> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string' && typeof entry !== 'number' && typeof entry !== 'boolean') {
      throw new TypeError(`${name}[${JSON.stringify(key)}] must be a string, number or boolean (got ${quote(entry)})`);
    }
    result[key] = entry;
  }
  return result;
};

/** Undefined or a function; `shape` says how it is called, for the message. */
export function optionalFunction<F>(name: string, value: unknown, shape: string, showValue = false): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${name} must be a function ${shape}${showValue ? ` (got ${quote(value)})` : ''}`);
  }
  return value as F | undefined;
}
