/**
 * Memory per histogram series at 10k and 100k series: ringmeter's worker store against the OpenTelemetry SDK
 * and prom-client holding the same series (3 labels: method, route, tenant; the 14 HTTP duration boundaries).
 * Each measurement runs in a fresh process with --expose-gc: heap + array buffers after a full GC, minus the same
 * process's baseline, divided by the series count.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { saveSection } from './lib/results.js';

export const IMPLEMENTATIONS = ['ringmeter', 'opentelemetry-sdk', 'prom-client'] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];

export interface MemoryResult {
  implementation: Implementation;
  series: number;
  bytesPerSeries: number;
}

export function measure(implementation: Implementation, series: number): MemoryResult {
  const child = fileURLToPath(new URL('./series-memory-child.js', import.meta.url));
  const output = execFileSync(process.execPath, ['--expose-gc', child, implementation, String(series)], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1) as string) as MemoryResult;
}

export async function run(options: { seriesCounts?: number[] } = {}): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  for (const series of options.seriesCounts ?? [10_000, 100_000]) {
    for (const implementation of IMPLEMENTATIONS) results.push(measure(implementation, series));
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await run(process.env.BENCH_QUICK === '1' ? { seriesCounts: [1_000] } : {});
  console.log('\nMemory per histogram series (bytes, heap + array buffers after GC)');
  console.table(results.map((r) => ({ implementation: r.implementation, series: r.series, 'bytes/series': Math.round(r.bytesPerSeries) })));
  saveSection('series-memory', results);
}
