/**
 * The change diff both threads apply to a configure(): which live options differ and what that asks for, from the
 * rows of the options table (their `live` effects). The main thread compares the options before and after
 * (engine: which shards to tell, whether to check the new endpoint, whether the sampler restarts); a worker compares
 * the live settings it has with those it is sent (workers/live-settings.ts: whether the export window closes, the
 * sender is made again, the timer restarts). Nothing here knows one option from another.
 */
import type { Effect } from './option.js';
import { OPTION_SITES, valueAt } from './rows.js';

export interface OptionChanges {
  /** The live options whose values differ, by path (`otlp.endpoint`, `metrics.db`). */
  readonly paths: readonly string[];
  /** What those changes ask for (the union of their rows' `live` effects). */
  readonly effects: ReadonlySet<Effect>;
  /** Whether one of them is an option the workers receive (their settings must be sent). */
  readonly workers: boolean;
}

/**
 * The live options that differ between `before` and `after`: resolved options, or a worker's live settings (the
 * same shape for what they hold; an option neither holds is no change).
 */
export function optionChanges(before: object, after: object): OptionChanges {
  const paths: string[] = [];
  const effects = new Set<Effect>();
  let workers = false;
  for (const site of OPTION_SITES) {
    if (site.row.live === undefined) continue;
    const at = site.path.split('.');
    if (sameValue(valueAt(before, at), valueAt(after, at))) continue;
    paths.push(site.path);
    for (const effect of site.row.live) effects.add(effect);
    workers ||= site.row.worker === true;
  }
  return { paths, effects, workers };
}

/** Equal scalars, or lists or records of equal scalars (what option values are). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => Object.hasOwn(b, key) && sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
  );
}
