/**
 * What each metrics middleware adds to a request of an Express 5 and a Fastify 5 app, measured as
 * node-server-overhead.ts measures Hono's: the 20-route app with 1,000 tenants behind Node's real http server, fed
 * over 32 in-memory keep-alive connections, the figure being main-thread CPU per request, in a fresh process per
 * variant and round, rounds in rotated order, added cost taken within rounds. The peers are what these frameworks'
 * users pick for Prometheus metrics: express-prom-bundle and fastify-metrics (prom-client), each given a tenant
 * label as ringmeter records one. BENCH_FRAMEWORK_ROUNDS sets the rounds (default 5).
 */
import { forkBenchChild, type BenchChild } from './lib/bench-child.js';
import { compareInRounds, printComparison, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';

const VARIANTS = {
  express: ['bare', 'empty middleware', 'ringmeter', 'express-prom-bundle (tenant label)'],
  fastify: ['bare', 'empty onRequest hook', 'ringmeter', 'fastify-metrics (tenant label)'],
} as const;

type Framework = keyof typeof VARIANTS;

async function compare(framework: Framework, options: { rounds?: number; requests?: number; windows?: number }): Promise<Comparison> {
  const variants = VARIANTS[framework];
  let processes: BenchChild[] = [];
  const stopAll = () => Promise.all(processes.map((p) => p.ask({ type: 'stop' }, 'stopped').catch(() => p.child.kill())));
  const child = new URL('./framework-overhead-child.js', import.meta.url);
  try {
    return await compareInRounds({
      title: `Metrics middleware on ${framework === 'express' ? 'Express 5' : 'Fastify 5'} over in-memory connections (main-thread CPU per request; fresh processes per variant and round)`,
      baseline: 'bare',
      rounds: options.rounds,
      beforeRound: async () => {
        await stopAll();
        processes = await Promise.all(
          variants.map(async (variant) => (await forkBenchChild(child, [framework, variant], 'ready')).process),
        );
      },
      variants: variants.map((name, i) => ({
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

export async function run(options: { rounds?: number; requests?: number; windows?: number } = {}): Promise<Record<Framework, Comparison>> {
  return { express: await compare('express', options), fastify: await compare('fastify', options) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const rounds = Number(process.env.BENCH_FRAMEWORK_ROUNDS ?? 5);
  const results = await run(quick ? { rounds: 3, requests: 500, windows: 1 } : { rounds });
  printComparison(results.express, 'µs');
  printComparison(results.fastify, 'µs');
  saveSection('framework-overhead', results);
}
