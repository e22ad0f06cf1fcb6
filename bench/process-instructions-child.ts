/**
 * One server of process-instructions.ts, run under callgrind: `node process-instructions-child.js <variant>`. The
 * 20-route app on @hono/node-server listening on 127.0.0.1 (real TCP; the load comes from the parent, outside
 * valgrind, so only the server's instructions are counted). It prints `listening <port>`, then obeys its stdin, one
 * command a line, answering each on stdout once done:
 * - `hold`: answers `holding <scavenges> <other collections>` (the main thread's garbage collections since the last
 *   hold) and keeps a 1 ms timer running until `release`, so that the process keeps running while the parent has
 *   callgrind dump every thread's counts (callgrind_control: a phase ends, the next begins);
 * - `release`: stops that timer;
 * - `drained`: waits until the worker has read every record written so far (so that a phase of requests holds
 *   their whole cost, the worker's included);
 * - `stop`: shuts down and exits.
 */
import { createInterface } from 'node:readline';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { createCollector, type Collector } from '../src/index.js';
import { benchMiddleware, buildBenchApp, usesCollector, type MiddlewareVariant } from './lib/bench-app.js';
import { CountingReceiver } from './lib/receiver.js';
import { ringDrained } from './lib/ring-grid.js';

const variant = process.argv[2] as MiddlewareVariant;
const receiver = new CountingReceiver();
let collector: Collector | undefined;
if (usesCollector(variant)) {
  collector = createCollector({
    env: {},
    // No export inside the phases: an export's cost is per interval, not per request (the idle phase shows timers).
    otlp: { endpoint: await receiver.start(), exportIntervalMillis: 3_600_000 },
    // Under valgrind everything runs ~50× slower: the default 10 s hang bound would restart the worker mid-run.
    workerHangMillis: 3_600_000,
    // Default options otherwise: runtime metrics (and their 10 ms event-loop probe) on, but for the variant that
    // takes them off to measure their share.
    ...(variant === 'empty + idle collector, no runtime metrics' ? { metrics: { runtime: false } } : {}),
  });
}
const { middleware, close } = benchMiddleware(variant, collector);
const app = buildBenchApp(middleware);
const server = createAdaptorServer({ fetch: app.fetch }) as Server;
// Under valgrind a keep-alive connection can sit longer than Node's 5 s between two phases' requests: no timeouts.
server.keepAliveTimeout = 0;
server.headersTimeout = 0;
server.requestTimeout = 0;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

/** The main thread's garbage collections since the last mark: what pauses every request in flight (the tail). */
const collections = { scavenges: 0, other: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (((entry as unknown as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
      collections.scavenges++;
    else collections.other++;
  }
}).observe({ entryTypes: ['gc'] });

let holding: NodeJS.Timeout | undefined;
/** Resolves once the worker has read every record written so far (at once without a collector). */
async function drained(): Promise<void> {
  if (collector !== undefined) await ringDrained(collector, 5);
}

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const command = line.trim();
  if (command === 'hold') {
    holding = setInterval(() => {}, 1);
    process.stdout.write(`holding ${collections.scavenges} ${collections.other}\n`);
    collections.scavenges = 0;
    collections.other = 0;
  } else if (command === 'release') {
    clearInterval(holding);
    process.stdout.write('released\n');
  } else if (command === 'drained') {
    void drained().then(() => process.stdout.write('drained\n'));
  } else if (command === 'stop') {
    commands.close();
    void (async () => {
      server.close();
      server.closeAllConnections();
      await collector?.shutdown().catch(() => {});
      await receiver.stop();
      await close();
      process.stdout.write('stopped\n');
      process.exit(0);
    })();
  }
});
process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
