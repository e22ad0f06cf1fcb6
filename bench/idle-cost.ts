/**
 * What a collector costs when nothing is recorded: CPU per second of an idle process with an idle collector, against
 * the same process without one, and the share of the main thread's 10 ms event-loop probe (runtime/loop-delay.ts)
 * measured alone. The variants run at the same time, each in a process of its own, over the same window (60 s), so
 * that the machine's other load weighs on all of them alike; CPU from Linux's schedstat (ns) per thread.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CountingReceiver } from './lib/receiver.js';
import { saveSection } from './lib/results.js';

export const IDLE_VARIANTS = [
  'no collector',
  'the 10 ms event-loop probe alone',
  'idle collector, runtime metrics off',
  'idle collector (default options)',
] as const;
export type IdleVariant = (typeof IDLE_VARIANTS)[number];

export interface IdleReport {
  variant: IdleVariant;
  seconds: number;
  mainNanos: number;
  otherThreadsNanos: number;
  busiestOtherNanos: number;
  processNanos: number;
}

export interface IdleCost extends IdleReport {
  /** CPU milliseconds per second of idle time. */
  mainMillisPerSecond: number;
  workerMillisPerSecond: number;
  /** Every thread but the main one (the worker, V8's and libuv's helpers). */
  otherThreadsMillisPerSecond: number;
  processMillisPerSecond: number;
}

export async function run(options: { seconds?: number; settleSeconds?: number } = {}): Promise<IdleCost[]> {
  const child = fileURLToPath(new URL('./idle-cost-child.js', import.meta.url));
  const seconds = options.seconds ?? 60;
  // A collector's worker takes seconds to start on a loaded 2-core machine (piscina, module loading, JIT: 4 s and more
  // at a load average of 20, 2026-12-08): with a 3 s settle its start-up was counted as idle cost.
  const settle = options.settleSeconds ?? 20;
  const receiver = new CountingReceiver();
  const endpoint = await receiver.start();
  const outputs = await Promise.all(
    IDLE_VARIANTS.map((variant) =>
      promisify(execFile)(process.execPath, [child, variant, String(settle), String(seconds), endpoint], { encoding: 'utf8' }),
    ),
  );
  await receiver.stop();
  return outputs.map(({ stdout }) => {
    const report = JSON.parse(stdout.trim().split('\n').at(-1) as string) as IdleReport;
    const perSecond = (nanos: number) => nanos / 1e6 / report.seconds;
    return {
      ...report,
      mainMillisPerSecond: perSecond(report.mainNanos),
      workerMillisPerSecond: perSecond(report.busiestOtherNanos),
      otherThreadsMillisPerSecond: perSecond(report.otherThreadsNanos),
      processMillisPerSecond: perSecond(report.processNanos),
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const results = await run(quick ? { seconds: 1, settleSeconds: 1 } : {});
  console.log(`\nIdle cost: CPU ms per second over ${results[0].seconds} s with nothing recorded`);
  console.table(
    results.map((r) => ({
      variant: r.variant,
      'main ms/s': r.mainMillisPerSecond.toFixed(2),
      'busiest other thread ms/s': r.workerMillisPerSecond.toFixed(2),
      'all other threads ms/s': r.otherThreadsMillisPerSecond.toFixed(2),
      'process ms/s': r.processMillisPerSecond.toFixed(2),
    })),
  );
  saveSection('idle-cost', results);
}
