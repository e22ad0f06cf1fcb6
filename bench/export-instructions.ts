/**
 * The export's cost in machine instructions of the worker thread, per data point: `valgrind --tool=callgrind
 * --separate-threads=yes` counts what each thread executes, the same whatever else the machine is doing (the timed
 * figures of bench/export move with the load of this shared machine by a factor of several). Not part of
 * `npm run bench` (it needs valgrind and takes minutes): `node dist/bench/export-instructions.js [series…]`.
 *
 * Per series count and protocol, four runs of bench/export-instructions-child.ts, each in a process of its own: 1 and
 * 2 rounds that each record, drain and export (`flush`), and 1 and 2 rounds that record and drain and export only
 * at the end (`drain`). (flush₂ − flush₁) − (drain₂ − drain₁) is one export of one round's series (its first export
 * was in both runs: the series made, their attributes encoded), without start-up, warm-up or the draining of the
 * records. The receiver decodes in a process valgrind does not trace. Each run's totals go to stderr as it ends.
 *
 * V8 runs with `--single-threaded-gc` (the export's garbage is collected on the thread that made it, so its cost is
 * in the worker's count, not in a helper thread's) and `--no-concurrent-recompilation` (as record-call-instructions).
 * gzip runs on libuv's pool threads: their instructions are reported apart ("other threads": every thread but the
 * main one and the worker, the busiest of them).
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

async function run(mode: 'flush' | 'drain', series: number, protocol: string, rounds: number): Promise<Run> {
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
        mode,
        String(series),
        protocol,
        String(rounds),
      ],
      { maxBuffer: 1 << 24 },
    );
    const counts: number[] = [];
    for (const name of readdirSync(directory)) {
      if (name.endsWith('-01')) continue;
      const summary = /^summary: (\d+)$/m.exec(readFileSync(join(directory, name), 'utf8'));
      if (summary !== null) counts.push(Number(summary[1]));
    }
    counts.sort((a, b) => b - a);
    const lastLine = stdout.trim().split('\n').pop() ?? '{}';
    const round = JSON.parse(lastLine) as { points: number; requests: number; bytes: number };
    const result = { worker: counts[0] ?? 0, others: counts.slice(1).reduce((a, b) => a + b, 0), ...round };
    console.error(JSON.stringify({ mode, series, protocol, rounds, ...result }));
    return result;
  } finally {
    rmSync(directory, { recursive: true, force: true });
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
  const rounds = Number(process.env.BENCH_EXPORT_ROUNDS ?? 2);
  const flush1 = await run('flush', series, protocol, 1);
  const flushN = await run('flush', series, protocol, rounds);
  const drain1 = await run('drain', series, protocol, 1);
  const drainN = await run('drain', series, protocol, rounds);
  const exports = rounds - 1;
  const points = flushN.points;
  const worker = (flushN.worker - flush1.worker - (drainN.worker - drain1.worker)) / exports / points;
  const others = (flushN.others - flush1.others - (drainN.others - drain1.others)) / exports / points;
  return {
    series,
    protocol,
    dataPoints: points,
    requests: flushN.requests,
    wireKiB: Math.round(flushN.bytes / 1024),
    workerInstructionsPerPoint: Math.round(worker),
    otherThreadsInstructionsPerPoint: Math.round(others),
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
