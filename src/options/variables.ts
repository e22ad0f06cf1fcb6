/**
 * How the options table reads environment variables (OpenTelemetry's and ringmeter's own): a value that does not
 * parse throws naming the variable. The parsed value is then checked like the option's own, still naming the
 * variable (`METRICS_BATCH_SIZE must be an integer from 1 to 1000000 (got 0)`).
 */
import { quote } from './checks.js';
import type { Variable } from './option.js';

/** The variable's text as it is. */
export function textVariable(name: string): Variable<string> {
  return { name, parse: (_name, value) => value };
}

/** The variable's text, made into another value (a base URL into the metrics URL). */
export function derivedVariable<T>(name: string, derive: (value: string) => T): Variable<T> {
  return { name, parse: (_name, value) => derive(value) };
}

export function integerVariable(name: string): Variable<number> {
  return {
    name,
    parse: (variable, value) => {
      if (!/^\d+$/.test(value)) throw new RangeError(`${variable} must be a non-negative integer (got ${quote(value)})`);
      return Number(value);
    },
  };
}

export function booleanVariable(name: string): Variable<boolean> {
  return {
    name,
    parse: (variable, value) => {
      const lower = value.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      throw new RangeError(`${variable} must be true, false, 1 or 0 (got ${quote(value)})`);
    },
  };
}

/** The OpenTelemetry form of a list: comma-separated; the entries are checked with the option's check. */
export function listVariable(name: string): Variable<string[]> {
  return { name, parse: (_name, value) => value.split(',').map((part) => part.trim()) };
}

/** `key1=value1,key2=value2` with percent-encoded values (the OTEL_*_HEADERS and OTEL_RESOURCE_ATTRIBUTES form). */
export function keyValueVariable(name: string): Variable<Record<string, string>> {
  return {
    name,
    parse: (variable, value) => {
      const result: Record<string, string> = {};
      for (const part of value.split(',')) {
        if (part.trim() === '') continue;
        const cut = part.indexOf('=');
        if (cut <= 0) throw new RangeError(`${variable} must be a list of key=value pairs (a pair has no '=')`);
        try {
          result[decodeURIComponent(part.slice(0, cut).trim())] = decodeURIComponent(part.slice(cut + 1).trim());
        } catch {
          throw new RangeError(`${variable} holds a badly percent-encoded pair`);
        }
      }
      return result;
    },
  };
}

/**
 * A boolean the OpenTelemetry way (OTEL_SDK_DISABLED): only `true`, in any case, is true; anything else, empty
 * included, is false (the specification says so, rather than refusing the value).
 */
export function otelBooleanVariable(name: string): Variable<boolean> {
  return { name, parse: (_name, value) => value.trim().toLowerCase() === 'true' };
}
