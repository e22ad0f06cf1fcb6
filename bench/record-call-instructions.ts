/**
 * The record call in machine instructions, not nanoseconds: `valgrind --tool=callgrind` counts the instructions the
 * calling thread executes, the same whatever else the machine is doing, so a change of a few instructions per call
 * shows even on a loaded machine, where bench/record-call's timings move by tens of nanoseconds. Not part of
 * `npm run bench` (it needs valgrind and takes minutes): `node dist/bench/record-call-instructions.js [variant…]`.
 *
 * Each variant runs in a process of its own under callgrind; the child marks the start and the end of its timed
 * calls (BENCH_INSTR_CALLS, default 1,000,000) and callgrind dumps its counts at each mark, so the main thread's
 * instructions per call are the second dump's over the calls: start-up, interning and warm-up stay in the first.
 * V8 compiles on the main thread (`--no-concurrent-recompilation`): under valgrind a background compile can land
 * millions of calls late, and the calls before it run unoptimised.
 *
 * What each part of the record call costs: every variant but `floor` and `ringmeter` is ringmeter's own compiled
 * code (a copy of dist/) with one part taken out by a textual patch (VARIANTS below), so that its difference to
 * `ringmeter` is that part's price in instructions per call. A patch that no longer finds its text fails the run.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** One textual change to a file of dist/ (a path below dist/). */
interface Patch {
  file: string;
  from: string;
  to: string;
}

/** Each variant: the child's mode, and the patches that take one part of the record call out. */
const VARIANTS: Record<string, { mode: 'floor' | 'ringmeter'; patches: Patch[] }> = {
  floor: { mode: 'floor', patches: [] },
  ringmeter: { mode: 'ringmeter', patches: [] },
  'without the family switch': {
    mode: 'ringmeter',
    patches: [{ file: 'src/collector.js', from: 'if (!this.#families.http)\n            return;', to: '' }],
  },
  'without the refusal checks': {
    mode: 'ringmeter',
    patches: [
      {
        file: 'src/collector.js',
        from: "const invalid = typeof method !== 'string'\n                ? 'method'",
        to: "const invalid = true ? undefined : typeof method !== 'string'\n                ? 'method'",
      },
    ],
  },
  'without the label-id lookups': {
    mode: 'ringmeter',
    patches: [
      { file: 'src/collector.js', from: "this.#labels.tenantId(tenantId, 'recordHttp.tenantId')", to: '0x40000007' },
      { file: 'src/collector.js', from: 'this.#labels.endpoints.intern(route)', to: '9' },
    ],
  },
  'without the byte-count split': {
    mode: 'ringmeter',
    patches: [
      { file: 'src/engine/record-writer.js', from: 'if (requestBytes < TWO_TO_32 && responseBytes < TWO_TO_32) {', to: 'if (true) {' },
    ],
  },
  'without the retention stamp': {
    mode: 'ringmeter',
    patches: [{ file: 'src/ring/ring-writer.js', from: 'this.ringStamps[tenant - TENANT_ID_BASE] = index;', to: ';' }],
  },
  'with a plain store for the publish': {
    mode: 'ringmeter',
    patches: [
      {
        file: 'src/contract/ring-header.js',
        from: 'Atomics.store(this.slots, WRITE_INDEX, index);',
        to: 'this.slots[WRITE_INDEX] = index;',
      },
    ],
  },
};

const distRoot = dirname(dirname(fileURLToPath(import.meta.url)));

/** A copy of dist/ with the patches applied (none: dist/ itself), and a function that removes the copy. */
function patchedDist(patches: Patch[]): { root: string; remove: () => void } {
  if (patches.length === 0) return { root: distRoot, remove: () => {} };
  const copy = mkdtempSync(join(tmpdir(), 'record-call-variant-'));
  cpSync(distRoot, join(copy, 'dist'), { recursive: true });
  // The copy resolves its packages, and reads as ES modules, as dist/ does.
  symlinkSync(join(distRoot, '..', 'node_modules'), join(copy, 'node_modules'));
  cpSync(join(distRoot, '..', 'package.json'), join(copy, 'package.json'));
  for (const { file, from, to } of patches) {
    const path = join(copy, 'dist', file);
    const text = readFileSync(path, 'utf8');
    if (!text.includes(from)) throw new Error(`patch not applicable: ${file} no longer holds ${JSON.stringify(from)}`);
    writeFileSync(path, text.replace(from, to));
  }
  return { root: join(copy, 'dist'), remove: () => rmSync(copy, { recursive: true, force: true }) };
}

/** Instructions per call of the main thread (callgrind's thread 1) between the child's two marks. */
async function instructionsPerCall(variant: string, calls: number): Promise<number> {
  const { mode, patches } = VARIANTS[variant];
  const dist = patchedDist(patches);
  const directory = mkdtempSync(join(tmpdir(), 'record-call-instructions-'));
  try {
    await promisify(execFile)(
      'valgrind',
      [
        '--tool=callgrind',
        '--separate-threads=yes',
        // The child's marks (os.getPriority calls, which nothing else makes): a dump as each one starts.
        '--dump-before=uv_os_getpriority',
        `--callgrind-out-file=${join(directory, 'out.%p')}`,
        process.execPath,
        '--no-concurrent-recompilation',
        join(dist.root, 'bench', 'record-call-instructions-child.js'),
        mode,
        String(calls),
      ],
      { maxBuffer: 1 << 24 },
    );
    // out.<pid>.<dump>-<thread>: dump 1 ends at the first mark, dump 2 at the second (the timed calls alone), dump 3
    // at the exit.
    // (process.title, the first marker tried, is read by start-up too: its dumps held other work.)
    const dumps = readdirSync(directory).filter((name) => /\.\d+-01$/.test(name));
    const timed = dumps.find((name) => name.endsWith('.2-01'));
    if (timed === undefined) throw new Error(`callgrind wrote ${dumps.length} dumps, none ending at the second mark`);
    const summary = /^summary: (\d+)$/m.exec(readFileSync(join(directory, timed), 'utf8'));
    if (summary === null) throw new Error(`no summary line in ${timed}`);
    return Number(summary[1]) / calls;
  } finally {
    rmSync(directory, { recursive: true, force: true });
    dist.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const calls = Number(process.env.BENCH_INSTR_CALLS ?? 1_000_000);
  const asked = process.argv.slice(2);
  const variants = asked.length > 0 ? asked : Object.keys(VARIANTS);
  const unknown = variants.filter((name) => VARIANTS[name] === undefined);
  if (unknown.length > 0) throw new Error(`unknown variants ${unknown.join(', ')}; known: ${Object.keys(VARIANTS).join(', ')}`);
  // Two at a time: each valgrind runs on one core, and its count does not depend on what runs beside it.
  const results = new Map<string, number>();
  const queue = [...variants];
  await Promise.all(
    [0, 1].map(async () => {
      for (let variant = queue.shift(); variant !== undefined; variant = queue.shift()) {
        results.set(variant, await instructionsPerCall(variant, calls));
        console.log(`(${variant}: ${Math.round(results.get(variant) ?? 0)})`);
      }
    }),
  );
  const base = results.get('ringmeter');
  for (const variant of variants) {
    const count = results.get(variant) ?? Number.NaN;
    const price = base !== undefined && variant !== 'ringmeter' && variant !== 'floor' ? ` (the part: ${Math.round(base - count)})` : '';
    console.log(`${variant}: ${Math.round(count)} instructions per call (main thread, ${calls} calls)${price}`);
  }
}
