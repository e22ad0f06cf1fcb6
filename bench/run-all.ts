/**
 * `npm run bench`: runs every benchmark in its own process (fresh heap, --expose-gc), then writes
 * bench/results/latest.json and bench/results/latest.md. `BENCH_QUICK=1` runs each with tiny durations (the smoke
 * test uses it to catch a broken script; its figures mean nothing).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSection, RESULTS_DIR, runInfo } from './lib/results.js';
import { renderMarkdown } from './lib/report.js';

export const BENCHMARKS = ['record-call', 'aggregation', 'series-memory', 'export', 'postgres-overhead'] as const;

const only = process.argv.slice(2);
const selected = only.length > 0 ? BENCHMARKS.filter((name) => only.includes(name)) : BENCHMARKS;
const started = Date.now();
for (const name of selected) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  console.log(`\n=== ${name} ===`);
  execFileSync(process.execPath, ['--expose-gc', script], { stdio: 'inherit', env: process.env });
}
const sections = Object.fromEntries(BENCHMARKS.map((name) => [name, loadSection(name)?.data]).filter(([, data]) => data !== undefined));
const latest = { run: runInfo(), durationSeconds: Math.round((Date.now() - started) / 1000), quick: process.env.BENCH_QUICK === '1', sections };
writeFileSync(new URL('latest.json', RESULTS_DIR), `${JSON.stringify(latest, null, 2)}\n`);
writeFileSync(new URL('latest.md', RESULTS_DIR), renderMarkdown(latest));
console.log(`\nwrote bench/results/latest.json and latest.md in ${latest.durationSeconds} s`);
