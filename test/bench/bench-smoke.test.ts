import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run bench, with tiny durations (BENCH_QUICK=1)', () => {
  const results = mkdtempSync(join(tmpdir(), 'ringmeter-bench-'));
  afterAll(() => rmSync(results, { recursive: true, force: true }));

  it('runs every benchmark script to the end and writes the JSON, markdown and SVG report', async () => {
    // No timing is asserted: this only catches a broken script.
    await promisify(execFile)(process.execPath, ['dist/bench/run-all.js'], {
      cwd: root,
      env: { ...process.env, BENCH_QUICK: '1', BENCH_RESULTS_DIR: results },
      // 257 s on the half-speed VM of 2026-12-03 evening, when every collector's final flush and shutdown took 3–9 s;
      // process-instructions adds one server under valgrind (about 1.5 min quiet, 6 min at a load average of 10).
      timeout: 840_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const latest = JSON.parse(readFileSync(join(results, 'latest.json'), 'utf8')) as { quick: boolean; sections: Record<string, unknown> };
    expect(latest.quick).toBe(true);
    const { BENCHMARKS } = (await import('../../dist/bench/benchmarks.js')) as { BENCHMARKS: readonly string[] };
    expect(Object.keys(latest.sections).sort()).toEqual([...BENCHMARKS].sort());
    expect(readFileSync(join(results, 'latest.md'), 'utf8')).toContain('QUICK MODE');
    expect(existsSync(join(results, 'latest.svg'))).toBe(true);
    expect(readFileSync(join(results, 'latest.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  }, 900_000);
});
