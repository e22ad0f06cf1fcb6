import type { E2eVariantResult } from '../http-e2e.js';
import { median } from './rounds.js';

export interface PairedGap {
  /** `reference`'s ratio to the baseline minus `variant`'s, in each round. */
  byRound: number[];
  median: number;
}

/**
 * How far `variant` sits below `reference`, paired within each round (the machine's drift between rounds cancels).
 * Undefined when the two are not in the same group, or for results saved before rounds were kept.
 */
export function pairedGap(comparison: readonly E2eVariantResult[], variant: string, reference: string): PairedGap | undefined {
  const above = comparison.find((v) => v.name === reference);
  const below = comparison.find((v) => v.name === variant && v.baseline === above?.baseline);
  if (above?.roundRatios === undefined || below?.roundRatios === undefined) return undefined;
  const byRound = below.roundRatios.map((ratio, i) => above.roundRatios[i] - ratio);
  return { byRound, median: median(byRound) };
}

/** The pairs the benchmark reports: issue #11's figure (ringmeter against the empty middleware) and the floor's. */
export const REPORTED_GAPS: ReadonlyArray<{ variant: string; reference: string; note: string }> = [
  { variant: 'ringmeter', reference: 'empty async middleware', note: "issue #11's target: 0.03" },
  { variant: 'ring floor (prototype + flat consumer)', reference: 'empty async middleware', note: 'the design floor' },
  { variant: 'ringmeter', reference: 'ring floor (prototype + flat consumer)', note: 'what ringmeter adds to the floor' },
];
