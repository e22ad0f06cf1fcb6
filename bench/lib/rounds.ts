import { Bench } from 'tinybench';

/**
 * One contender in a comparison: either `run`, timed here with tinybench, or `measure`, which takes its own
 * measurement (in another process, say) and returns the median time per operation in nanoseconds.
 */
export type Variant = LocalVariant | RemoteVariant;

export interface LocalVariant {
  name: string;
  /** Timed; performs `operationsPerRun` operations. */
  run: () => unknown;
  /** How many operations one call of `run` performs (batch small operations so the timer's cost vanishes). */
  operationsPerRun?: number;
  /** Runs before each timed call of `run`, untimed (e.g. waiting until a ring has room again). */
  beforeEach?: () => void | Promise<void>;
}

export interface RemoteVariant {
  name: string;
  measure: (timeMillis: number) => Promise<number>;
}

export interface VariantResult {
  name: string;
  /** Median over rounds of each round's median time per operation, in nanoseconds. */
  medianNanos: number;
  minNanos: number;
  maxNanos: number;
  /** Median over rounds of (this variant ÷ baseline) computed within each round. */
  ratioToBaseline: number;
  /** Median over rounds of (this variant − baseline) within each round, in nanoseconds: the added cost. */
  addedNanos: number;
  perRoundNanos: number[];
}

export interface Comparison {
  title: string;
  baseline: string;
  rounds: number;
  variants: VariantResult[];
}

export interface CompareOptions {
  title: string;
  /** The variant every ratio is taken against. */
  baseline: string;
  variants: Variant[];
  /** At least 3. [default: 5] */
  rounds?: number;
  /** Time per variant per round, ms. [default: 300] */
  timeMillis?: number;
  /** Runs before each round (e.g. starting fresh processes for remote variants). */
  beforeRound?: (round: number) => Promise<void>;
}

/**
 * Runs every variant in rounds, rotating the order each round (A B C, B C A, C A B, …) so that no variant always
 * runs first or last, and takes the ratios to the baseline within each round before taking medians: a machine
 * that slows down during the run shifts every variant of a round alike.
 */
export async function compareInRounds(options: CompareOptions): Promise<Comparison> {
  const rounds = Math.max(3, options.rounds ?? 5);
  const timeMillis = options.timeMillis ?? 300;
  const perRound = new Map<string, number[]>(options.variants.map((variant) => [variant.name, []]));
  for (let round = 0; round < rounds; round++) {
    await options.beforeRound?.(round);
    const order = rotate(options.variants, round);
    for (const variant of order) {
      const nanos = 'measure' in variant ? await variant.measure(timeMillis) : await timeLocally(variant, timeMillis, options.title);
      perRound.get(variant.name)!.push(nanos);
    }
  }
  const baseline = perRound.get(options.baseline);
  if (baseline === undefined) throw new Error(`${options.title}: no variant named ${options.baseline}`);
  return {
    title: options.title,
    baseline: options.baseline,
    rounds,
    variants: options.variants.map((variant) => {
      const nanos = perRound.get(variant.name)!;
      return {
        name: variant.name,
        medianNanos: median(nanos),
        minNanos: Math.min(...nanos),
        maxNanos: Math.max(...nanos),
        ratioToBaseline: median(nanos.map((value, round) => value / baseline[round])),
        addedNanos: median(nanos.map((value, round) => value - baseline[round])),
        perRoundNanos: nanos,
      };
    }),
  };
}

/** tinybench's median time of one `run` call, per operation, in nanoseconds. */
export async function timeLocally(variant: LocalVariant, timeMillis: number, title: string): Promise<number> {
  const bench = new Bench({ time: timeMillis, warmupTime: Math.min(100, timeMillis / 2), throws: true });
  bench.add(variant.name, variant.run, variant.beforeEach === undefined ? undefined : { beforeEach: variant.beforeEach });
  await bench.run();
  const p50Millis = (bench.tasks[0].result as { latency?: { p50: number } } | undefined)?.latency?.p50;
  if (p50Millis === undefined) throw new Error(`${title}: ${variant.name} produced no samples`);
  return (p50Millis * 1e6) / (variant.operationsPerRun ?? 1);
}

export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Prints a comparison as a table: median, min–max, ratio to the baseline. */
export function printComparison(comparison: Comparison, unit: 'ns' | 'µs' = 'ns'): void {
  const scale = unit === 'ns' ? 1 : 1_000;
  console.log(`\n${comparison.title} (${comparison.rounds} rounds, rotated order; median of per-round medians)`);
  console.table(
    comparison.variants.map((variant) => ({
      variant: variant.name,
      [`median ${unit}/op`]: round(variant.medianNanos / scale),
      [`min–max ${unit}`]: `${round(variant.minNanos / scale)}–${round(variant.maxNanos / scale)}`,
      [`× ${comparison.baseline}`]: round(variant.ratioToBaseline),
      [`+${unit} vs ${comparison.baseline}`]: round(variant.addedNanos / scale),
    })),
  );
}

export function round(value: number): number {
  return value >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
}
