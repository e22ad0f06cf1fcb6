import { median, rotate } from './rounds.js';
import { threadCpuNanos } from './thread-cpu.js';

/** One contender: `run` performs `operations` operations (awaited), timed by the main thread's CPU time. */
export interface CpuVariant {
  name: string;
  operations: number;
  run: () => Promise<void>;
}

export interface CpuVariantResult {
  name: string;
  /** Median over rounds of main-thread CPU nanoseconds per operation. */
  medianNanos: number;
  perRoundNanos: number[];
}

/**
 * Like compareInRounds, but each variant's figure is the main thread's own CPU time per operation (see
 * thread-cpu.ts) rather than wall time: what a request path pays, with waiting for a core left out. Rounds rotate
 * the order of the variants; a warm-up run precedes each measured one, and a full GC too where it is exposed
 * (--expose-gc; run-all passes it). The garbage a variant makes during its run is collected on its time.
 * Undefined where the thread's CPU time cannot be read.
 */
export async function cpuTimeInRounds(variants: CpuVariant[], rounds: number): Promise<CpuVariantResult[] | undefined> {
  if (threadCpuNanos() === undefined) return undefined;
  const perRound = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of rotate(variants, round)) {
      await variant.run();
      // Start each measured run from a collected heap, so that no variant inherits another's garbage.
      (globalThis as { gc?: () => void }).gc?.();
      const before = threadCpuNanos()!;
      await variant.run();
      perRound.get(variant.name)!.push((threadCpuNanos()! - before) / variant.operations);
    }
  }
  return variants.map(({ name }) => ({ name, medianNanos: median(perRound.get(name)!), perRoundNanos: perRound.get(name)! }));
}

/** Median over rounds of (variant − baseline), each difference taken within its round. */
export function medianDifference(results: CpuVariantResult[], variant: string, baseline: string): number {
  const of = (name: string) => results.find((result) => result.name === name)!.perRoundNanos;
  const base = of(baseline);
  return median(of(variant).map((value, round) => value - base[round]));
}
