/**
 * The export's cost in machine instructions of the worker thread, per data point: `valgrind --tool=callgrind
 * --separate-threads=yes` counts what each thread executes, the same whatever else the machine is doing (the timed
 * figures of bench/export move with the load of this shared machine by a factor of several). Not part of
 * `npm run bench` (it needs valgrind and takes minutes): `node dist/bench/export-instructions.js [series…]`.
 *
 * One run of bench/export-instructions-child.ts per series count and protocol: rounds that each record, drain and
 * flush, the last flush between two dumps of every thread's counts (the child runs `callgrind_control --dump`),
 * so that part of the counts is that one export alone: collection, encoding, settling, the GET
 * /metrics totals, the HTTP requests (JavaScript and the C++ under it; the kernel's part of a socket write is not an
 * instruction callgrind sees). The receiver decodes in a process valgrind does not trace.
 *
 * V8 runs with `--single-threaded-gc` (the export's garbage is collected on the thread that made it, so its cost is
 * in the worker's count, not in a helper thread's) and `--no-concurrent-recompilation` (as record-call-instructions).
 * gzip runs on libuv's pool threads: their instructions are reported apart ("other threads": every thread of the
 * part but the main one and the worker, the busiest of them).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const child = fileURLToPath(new URL('./export-instructions-child.js', import.meta.url));

interface Run {
  worker: number;
  others: number;
  points: number;
  requests: number;
  bytes: number;
}

/** Instructions per thread in each dump part of a run's files: part → thread → count. */
function partsOf(directory: string): Map<number, Map<number, number>> {
  const parts = new Map<number, Map<number, number>>();
  for (const name of readdirSync(directory)) {
    const text = readFileSync(join(directory, name), 'utf8');
    const part = Number(/^part: (\d+)$/m.exec(text)?.[1] ?? 0);
    const thread = Number(/^thread: (\d+)$/m.exec(text)?.[1] ?? 0);
    const count = Number((/^totals: (\d+)$/m.exec(text) ?? /^summary: (\d+)$/m.exec(text))?.[1] ?? 0);
    let threads = parts.get(part);
    if (threads === undefined) {
      threads = new Map();
      parts.set(part, threads);
    }
    threads.set(thread, (threads.get(thread) ?? 0) + count);
  }
  return parts;
}

async function run(series: number, protocol: string, rounds: number): Promise<Run> {
  const directory = mkdtempSync(join(tmpdir(), 'export-instructions-'));
  try {
    const { stdout } = await promisify(execFile)(
      'valgrind',
      [
        '--tool=callgrind',
        '--separate-threads=yes',
        `--callgrind-out-file=${join(directory, 'out.%p')}`,
        process.execPath,
        '--no-concurrent-recompilation',
        '--single-threaded-gc',
        child,
        String(series),
        protocol,
        String(rounds),
      ],
      { maxBuffer: 1 << 24 },
    );
    const parts = partsOf(directory);
    // Part 1 ends at the first mark, part 2 at the second: the measured flush.
    const measured = parts.get(2);
    if (measured === undefined) throw new Error(`no dump between the marks (parts: ${[...parts.keys()].join(', ')})`);
    const counts = [...measured.entries()].filter(([thread]) => thread !== 1).map(([, count]) => count);
    counts.sort((a, b) => b - a);
    const lastLine = stdout.trim().split('\n').pop() ?? '{}';
    const round = JSON.parse(lastLine) as { points: number; requests: number; bytes: number };
    const result = { worker: counts[0] ?? 0, others: counts.slice(1).reduce((a, b) => a + b, 0), ...round };
    console.error(JSON.stringify({ series, protocol, rounds, parts: [...parts.keys()], main: measured.get(1), ...result }));
    return result;
  } finally {
    // BENCH_KEEP=1 keeps callgrind's files (for callgrind_annotate): their directory is named on stderr.
    if (process.env.BENCH_KEEP === '1') console.error(`callgrind files kept in ${directory}`);
    else rmSync(directory, { recursive: true, force: true });
  }
}

export interface ExportInstructionsRow {
  series: number;
  protocol: string;
  dataPoints: number;
  requests: number;
  wireKiB: number;
  workerInstructionsPerPoint: number;
  otherThreadsInstructionsPerPoint: number;
}

export async function measure(series: number, protocol: string): Promise<ExportInstructionsRow> {
  const r = await run(series, protocol, Number(process.env.BENCH_EXPORT_ROUNDS ?? 2));
  return {
    series,
    protocol,
    dataPoints: r.points,
    requests: r.requests,
    wireKiB: Math.round(r.bytes / 1024),
    workerInstructionsPerPoint: Math.round(r.worker / r.points),
    otherThreadsInstructionsPerPoint: Math.round(r.others / r.points),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seriesCounts = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [10_000, 100_000];
  const protocols = (process.env.BENCH_PROTOCOLS ?? 'http/protobuf,http/json').split(',');
  console.log('| series | protocol | data points | requests | gzip KiB | worker instructions/point | other threads instructions/point |');
  console.log('|---:|---|---:|---:|---:|---:|---:|');
  for (const series of seriesCounts)
    for (const protocol of protocols) {
      const r = await measure(series, protocol);
      console.log(
        `| ${r.series} | ${r.protocol} | ${r.dataPoints} | ${r.requests} | ${r.wireKiB} | ${r.workerInstructionsPerPoint} | ${r.otherThreadsInstructionsPerPoint} |`,
      );
    }
}
