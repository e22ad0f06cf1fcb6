/**
 * What each middleware adds to a request on @hono/node-server, without the network: the 20-route app with 1,000
 * tenants behind Node's real http server, fed over 32 in-memory keep-alive connections (lib/memory-connections.ts),
 * so Node's parser, IncomingMessage and ServerResponse, 'finish' and its diagnostics_channel message all run as
 * over TCP. Unlike `app.request` (hono-overhead.ts), this exercises ringmeter's node-server path (raw headers,
 * response byte sizes, completion at finish). The figure is main-thread CPU per request (no waiting for a core
 * counted), in a fresh process per variant and round, rounds in rotated order; added cost is taken within rounds.
 *
 * BENCH_BASELINE_BUILD=/path/to/other/dist adds 'ringmeter (baseline build)': the same middleware from another
 * build, for a same-run A/B of a request-path change. BENCH_NODE_SERVER_ROUNDS sets the rounds (default 5).
 */
import { BASELINE_BUILD_VARIANT, type MiddlewareVariant } from './lib/bench-app.js';
import { forkBenchChild, type BenchChild } from './lib/bench-child.js';
import { compareInRounds, printComparison, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';

const VARIANTS: Array<MiddlewareVariant | typeof BASELINE_BUILD_VARIANT> = [
  'bare',
  'empty async middleware',
  'ring write only (reference)',
  'ringmeter',
  ...(process.env.BENCH_BASELINE_BUILD ? [BASELINE_BUILD_VARIANT as typeof BASELINE_BUILD_VARIANT] : []),
];

async function startVariant(variant: string): Promise<BenchChild> {
  return (await forkBenchChild(new URL('./node-server-overhead-child.js', import.meta.url), [variant], 'ready')).process;
}

export async function run(options: { rounds?: number; requests?: number; windows?: number } = {}): Promise<Comparison> {
  let processes: BenchChild[] = [];
  const stopAll = () => Promise.all(processes.map((p) => p.ask({ type: 'stop' }, 'stopped').catch(() => p.child.kill())));
  try {
    return await compareInRounds({
      title:
        'Middleware on @hono/node-server over in-memory connections (main-thread CPU per request; fresh processes per variant and round)',
      baseline: 'bare',
      rounds: options.rounds,
      beforeRound: async () => {
        await stopAll();
        processes = await Promise.all(VARIANTS.map(startVariant));
      },
      variants: VARIANTS.map((name, i) => ({
        name,
        measure: async () =>
          (
            await processes[i].ask<{ nanosPerRequest: number }>(
              { type: 'measure', requests: options.requests ?? 10_000, windows: options.windows ?? 5 },
              'measured',
            )
          ).nanosPerRequest,
      })),
    });
  } finally {
    await stopAll();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const rounds = Number(process.env.BENCH_NODE_SERVER_ROUNDS ?? 5);
  const comparison = await run(quick ? { rounds: 3, requests: 500, windows: 1 } : { rounds });
  printComparison(comparison, 'µs');
  saveSection('node-server-overhead', comparison);
}
