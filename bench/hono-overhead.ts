/**
 * What each HTTP metrics middleware adds to a request, in-process (`app.request`), on the same ~20-route Hono
 * app with 1,000 tenants: the bare app, an empty async middleware (the floor of any middleware), two floors of
 * any per-tenant metrics middleware (one reads the tenant header, one everything a record needs, neither records),
 * ringmeter, @hono/prometheus with a tenant label, @hono/otel, and a hand-written OpenTelemetry SDK middleware.
 * Each variant runs in a process of its own (see hono-overhead-child.ts), fresh each round. The added
 * cost of a variant is its time minus the bare app's in the same round.
 */
import type { MiddlewareVariant } from './lib/bench-app.js';
import { forkBenchChild, type BenchChild } from './lib/bench-child.js';
import { compareInRounds, printComparison, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';

const VARIANTS: MiddlewareVariant[] = [
  'bare',
  'empty async middleware',
  'empty + tenant header read',
  'reads only, records nothing',
  'ringmeter',
  '@hono/prometheus (tenant label)',
  '@hono/otel',
  'OTel SDK by hand',
];

/** Starts one variant's process (hono-overhead-child.ts) and waits until its app is built. */
async function startVariant(variant: MiddlewareVariant): Promise<BenchChild> {
  return (await forkBenchChild(new URL('./hono-overhead-child.js', import.meta.url), [variant], 'ready')).process;
}

export async function run(options: { rounds?: number; timeMillis?: number } = {}): Promise<Comparison> {
  let processes: BenchChild[] = [];
  const stopAll = () => Promise.all(processes.map((p) => p.ask({ type: 'stop' }, 'stopped').catch(() => p.child.kill())));
  try {
    return await compareInRounds({
      title: 'Hono middleware, in-process app.request (20 routes, 1,000 tenants; fresh processes per variant and round)',
      baseline: 'bare',
      rounds: options.rounds,
      timeMillis: options.timeMillis ?? 400,
      // A process can be lastingly faster or slower than another (memory layout, JIT decisions): fresh ones each
      // round keep that luck from favouring one variant in every round.
      beforeRound: async () => {
        await stopAll();
        processes = await Promise.all(VARIANTS.map(startVariant));
      },
      variants: VARIANTS.map((name, i) => ({
        name,
        // Only one process measures at a time; the others wait on their IPC channel, idle.
        measure: async (timeMillis: number) =>
          (await processes[i].ask<{ nanosPerRequest: number }>({ type: 'measure', timeMillis }, 'measured')).nanosPerRequest,
      })),
    });
  } finally {
    await stopAll();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const comparison = await run(quick ? { rounds: 3, timeMillis: 30 } : {});
  printComparison(comparison, 'µs');
  saveSection('hono-overhead', comparison);
}
