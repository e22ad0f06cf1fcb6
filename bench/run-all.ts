/**
 * `npm run bench`: runs every benchmark in its own process (fresh heap, --expose-gc), then writes
 * bench/results/latest.json and bench/results/latest.md. `BENCH_QUICK=1` runs each with tiny durations (the smoke
 * test uses it to catch a broken script; its figures mean nothing).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSection, RESULTS_DIR, runInfo } from './lib/results.js';
import { renderChart, renderMarkdown } from './lib/report.js';

import { BENCHMARKS } from './benchmarks.js';

const only = process.argv.slice(2);
const selected = only.length > 0 ? BENCHMARKS.filter((name) => only.includes(name)) : BENCHMARKS;
const started = Date.now();
const durations: Record<string, number> = {};
for (const name of selected) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  console.log(`\n=== ${name} ===`);
  const benchStarted = Date.now();
  execFileSync(process.execPath, ['--expose-gc', script], { stdio: 'inherit', env: process.env });
  durations[name] = Math.round((Date.now() - benchStarted) / 1000);
  console.log(`(${name}: ${durations[name]} s)`);
}
const sections = Object.fromEntries(BENCHMARKS.map((name) => [name, loadSection(name)?.data]).filter(([, data]) => data !== undefined));
const latest = {
  run: runInfo(),
  durationSeconds: Math.round((Date.now() - started) / 1000),
  durations,
  quick: process.env.BENCH_QUICK === '1',
  sections,
};
writeFileSync(new URL('latest.json', RESULTS_DIR), `${JSON.stringify(latest, null, 2)}\n`);
writeFileSync(new URL('latest.md', RESULTS_DIR), renderMarkdown(latest));
writeFileSync(new URL('latest.svg', RESULTS_DIR), renderChart(latest));
console.log(`\nwrote bench/results/latest.json, latest.md and latest.svg in ${latest.durationSeconds} s`);
