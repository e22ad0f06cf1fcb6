/**
 * The record call in machine instructions, not nanoseconds: `valgrind --tool=callgrind` counts the instructions the
 * calling thread executes, the same whatever else the machine is doing, so a change of a few instructions per call
 * shows even on a loaded machine, where bench/record-call's timings move by tens of nanoseconds. Not part of
 * `npm run bench` (it needs valgrind and takes minutes): `node dist/bench/record-call-instructions.js`.
 *
 * Each variant runs twice (BENCH_INSTR_CALLS, default 300,000 and 1,300,000 calls), each in a process of its own
 * under callgrind, and the main thread's instructions per call are the difference over the difference in calls:
 * start-up, interning and warm-up cancel out. V8 compiles on the main thread (`--no-concurrent-recompilation`):
 * under valgrind a background compile can land millions of calls late, and the calls before it run unoptimised.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const child = fileURLToPath(new URL('./record-call-instructions-child.js', import.meta.url));
const MODES = ['floor', 'ringmeter'] as const;

/** Instructions the main thread (callgrind's thread 1) executed in one run of the child. */
async function mainThreadInstructions(mode: string, calls: number): Promise<number> {
  const directory = mkdtempSync(join(tmpdir(), 'record-call-instructions-'));
  try {
    await promisify(execFile)(
      'valgrind',
      [
        '--tool=callgrind',
        '--separate-threads=yes',
        `--callgrind-out-file=${join(directory, 'out.%p')}`,
        process.execPath,
        '--no-concurrent-recompilation',
        child,
        mode,
        String(calls),
      ],
      { maxBuffer: 1 << 24 },
    );
    const main = readdirSync(directory).find((name) => name.endsWith('-01'));
    if (main === undefined) throw new Error('callgrind wrote no file for the main thread');
    const summary = /^summary: (\d+)$/m.exec(readFileSync(join(directory, main), 'utf8'));
    if (summary === null) throw new Error(`no summary line in ${main}`);
    return Number(summary[1]);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [fewer, more] = (process.env.BENCH_INSTR_CALLS ?? '300000,1300000').split(',').map(Number);
  for (const mode of MODES) {
    const low = await mainThreadInstructions(mode, fewer);
    const high = await mainThreadInstructions(mode, more);
    console.log(`${mode}: ${Math.round((high - low) / (more - fewer))} instructions per call (main thread, ${fewer} → ${more} calls)`);
  }
}
