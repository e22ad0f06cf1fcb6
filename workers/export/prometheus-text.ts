/**
 * Prometheus naming and escaping: metric and label names sanitised (anything but letters, digits, `_` and `:`
 * becomes `_`, so `ringmeter.records.written` is `ringmeter_records_written`), counters suffixed `_total`, label
 * values escaped as the exposition format requires.
 */
import type { MetricDefinition } from '../../src/contract/metrics.js';

/** The family name: sanitised, and a counter ends in `_total` (once). */
export function prometheusName(definition: MetricDefinition): string {
  const name = sanitise(definition.name, /[^A-Za-z0-9_:]/g);
  return definition.kind === 'counter' && !name.endsWith('_total') ? `${name}_total` : name;
}

/** A label name: letters, digits and `_` only (`otel.component.type` → `otel_component_type`). */
export function labelName(name: string): string {
  return sanitise(name, /[^A-Za-z0-9_]/g);
}

/** A label value inside double quotes: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `name="value",…` of an attribute set (no braces), in the attributes' order. */
export function labelPairs(attributes: Readonly<Record<string, unknown>>): string {
  let text = '';
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (value === undefined) continue;
    text += `${text === '' ? '' : ','}${labelName(key)}="${escapeLabelValue(String(value))}"`;
  }
  return text;
}

/** `{pairs}`, or nothing for an empty label set. */
export function braces(...pairs: string[]): string {
  const joined = pairs.filter((part) => part !== '').join(',');
  return joined === '' ? '' : `{${joined}}`;
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function sanitise(name: string, invalid: RegExp): string {
  const cleaned = name.replace(invalid, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}
