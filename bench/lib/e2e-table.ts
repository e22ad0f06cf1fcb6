import type { E2eVariantResult } from './e2e-results.js';
import { CPU_REFERENCE, cpuGap, type CpuGap } from './e2e-gap.js';

const fixed = (value: number | undefined, digits: number) => (value === undefined ? '–' : value.toFixed(digits));

function gapCell(gap: CpuGap | undefined): string {
  if (gap === undefined) return '–';
  const sign = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
  return `${sign(gap.median)} (${sign(gap.min)} to ${sign(gap.max)})`;
}

/**
 * The end-to-end CPU table, one markdown table per group (tenants, baseline): CPU per request of the main thread,
 * the worker (the busiest other thread) and the process, over all rounds; each one's gap to the empty middleware,
 * paired round by round (median, range); requests/s and p99 as ratios to the group's baseline.
 */
export function e2eCpuTables(comparison: readonly E2eVariantResult[]): string[] {
  const lines: string[] = [];
  const groups = new Map<string, E2eVariantResult[]>();
  for (const v of comparison) {
    const key = `${(v.tenants ?? 1_000).toLocaleString('en-US')} tenants, against ${v.baseline}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  for (const [key, variants] of groups) {
    lines.push(
      '',
      `**${key}** (CPU µs per request; gaps over the ${CPU_REFERENCE}, paired by round: median (min to max))`,
      '',
      '| variant | main | worker | process | main gap | worker gap | process gap | req/s ÷ baseline | p99 ms | p99 ÷ baseline |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const v of variants) {
      const gap = v.name === CPU_REFERENCE ? undefined : cpuGap(comparison, v, CPU_REFERENCE);
      lines.push(
        `| ${v.name} | ${fixed(v.mainCpuMicrosPerRequest, 1)} | ${fixed(v.workerCpuMicrosPerRequest, 1)} | ${fixed(v.processCpuMicrosPerRequest, 1)} | ${gapCell(gap?.main)} | ${gapCell(gap?.worker)} | ${gapCell(gap?.process)} | ${fixed(v.ratioToBare, 3)} | ${fixed(v.p99Millis, 2)} | ${fixed(v.p99RatioToBare, 2)} |`,
      );
    }
  }
  return lines;
}
