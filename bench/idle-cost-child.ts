/**
 * One process of the idle-cost benchmark: `node idle-cost-child.js <variant> <settleSeconds> <seconds> <otlpEndpoint>`. Sets up its
 * variant, lets it settle (a collector's worker starts, JIT and module loading finish), then measures `seconds` of
 * doing nothing and prints one JSON line: CPU nanoseconds of the main thread, of every other thread together, of the
 * busiest other thread (ringmeter's worker where there is one), and of the whole process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createCollector } from '../src/index.js';
import { LoopDelayMonitor } from '../src/runtime/loop-delay.js';
import type { IdleReport, IdleVariant } from './idle-cost.js';
import { busiestOtherThreadNanos, threadsCpuNanos } from './lib/thread-cpu.js';

const [variant, settle, window, endpoint] = process.argv.slice(2) as [IdleVariant, string, string, string];
// The runtime metrics are recorded even when the application records nothing: they are exported every 30 s.
const otlp = { endpoint };
const collector =
  variant === 'idle collector (default options)'
    ? createCollector({ env: {}, otlp })
    : variant === 'idle collector, runtime metrics off'
      ? createCollector({ env: {}, otlp, metrics: { runtime: false } })
      : undefined;
const probe = variant === 'the 10 ms event-loop probe alone' ? new LoopDelayMonitor() : undefined;
// Keeps the process alive (the collector's and the probe's timers are unref'd) at one wake per hour.
const keepAlive = setInterval(() => {}, 3_600_000);

await sleep(Number(settle) * 1000);
const mainOf = (threads: Map<string, number>) => threads.get(String(process.pid)) ?? 0;
const sum = (threads: Map<string, number>) => [...threads.values()].reduce((total, nanos) => total + nanos, 0);
const before = threadsCpuNanos();
const cpuBefore = process.cpuUsage();
await sleep(Number(window) * 1000);
const cpu = process.cpuUsage(cpuBefore);
const after = threadsCpuNanos();
const report: IdleReport = {
  variant,
  seconds: Number(window),
  mainNanos: mainOf(after) - mainOf(before),
  otherThreadsNanos: sum(after) - mainOf(after) - (sum(before) - mainOf(before)),
  busiestOtherNanos: busiestOtherThreadNanos(before, after),
  processNanos: (cpu.user + cpu.system) * 1000,
};
console.log(JSON.stringify(report));
probe?.stop();
clearInterval(keepAlive);
await collector?.shutdown();
process.exit(0);
