import type { E2eVariantResult, RoundCpu } from './e2e-results.js';
import { median } from './rounds.js';

export interface PairedGap {
  /** `reference`'s ratio to the baseline minus `variant`'s, in each round. */
  byRound: number[];
  median: number;
}

/** Whether two results were measured in the same group (same baseline, same tenants; 1,000 for older results). */
function sameGroup(a: E2eVariantResult, b: E2eVariantResult): boolean {
  return a.baseline === b.baseline && (a.tenants ?? 1_000) === (b.tenants ?? 1_000);
}

/**
 * How far `variant` sits below `reference`, paired within each round (the machine's drift between rounds cancels),
 * in the group of `tenants` tenants (the first group holding both when not given). Undefined when the two are not
 * in the same group, or for results saved before rounds were kept.
 */
export function pairedGap(
  comparison: readonly E2eVariantResult[],
  variant: string,
  reference: string,
  tenants?: number,
): PairedGap | undefined {
  const pair = findPair(comparison, variant, reference, tenants);
  if (pair?.above.roundRatios === undefined || pair.below.roundRatios === undefined) return undefined;
  const { above, below } = pair;
  const byRound = below.roundRatios.map((ratio, i) => above.roundRatios[i] - ratio);
  return { byRound, median: median(byRound) };
}

/** One CPU figure's gap over a reference, in µs per request, paired round by round. */
export interface CpuGap {
  byRound: number[];
  median: number;
  min: number;
  max: number;
}

/** `variant`'s CPU per request minus `reference`'s, round by round, for the main thread, the worker and the process. */
export function cpuGap(
  comparison: readonly E2eVariantResult[],
  variant: E2eVariantResult,
  reference: string,
): { main: CpuGap | undefined; worker: CpuGap; process: CpuGap } | undefined {
  const above = comparison.find((v) => v.name === reference && sameGroup(v, variant));
  if (above?.roundCpu === undefined || variant.roundCpu === undefined) return undefined;
  const ref = above.roundCpu;
  const gap = (pick: (row: RoundCpu) => number | undefined): CpuGap | undefined => {
    const byRound: number[] = [];
    for (const [i, row] of (variant.roundCpu as RoundCpu[]).entries()) {
      const mine = pick(row);
      const theirs = pick(ref[i]);
      if (mine === undefined || theirs === undefined) return undefined;
      byRound.push(mine - theirs);
    }
    return { byRound, median: median(byRound), min: Math.min(...byRound), max: Math.max(...byRound) };
  };
  return { main: gap((row) => row.main), worker: gap((row) => row.worker) as CpuGap, process: gap((row) => row.process) as CpuGap };
}

function findPair(
  comparison: readonly E2eVariantResult[],
  variant: string,
  reference: string,
  tenants: number | undefined,
): { above: E2eVariantResult; below: E2eVariantResult } | undefined {
  for (const above of comparison) {
    if (above.name !== reference || (tenants !== undefined && (above.tenants ?? 1_000) !== tenants)) continue;
    const below = comparison.find((v) => v.name === variant && sameGroup(v, above));
    if (below !== undefined) return { above, below };
  }
  return undefined;
}

/** The pairs the benchmark reports: issue #11's figure (ringmeter against the empty middleware) and the floor's. */
export const REPORTED_GAPS: ReadonlyArray<{ variant: string; reference: string; note: string }> = [
  { variant: 'ringmeter', reference: 'empty async middleware', note: "issue #11's target: 0.03" },
  { variant: 'ring floor (prototype + flat consumer)', reference: 'empty async middleware', note: 'the design floor' },
  { variant: 'ringmeter', reference: 'ring floor (prototype + flat consumer)', note: 'what ringmeter adds to the floor' },
];

/** The variant every CPU gap is taken against (issue #33: ringmeter's process CPU ≤ this + 2.0 µs per request). */
export const CPU_REFERENCE = 'empty async middleware';
