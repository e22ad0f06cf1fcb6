/**
 * What each HTTP metrics middleware adds to a request, in-process (`app.request`), on the same ~20-route Hono
 * app with 1,000 tenants: the bare app, an empty async middleware (the floor of any middleware), two floors of
 * any per-tenant metrics middleware (one reads the tenant header, one everything a record needs, neither records),
 * ringmeter, @hono/prometheus with a tenant label, @hono/otel, and a hand-written OpenTelemetry SDK middleware.
 * Each variant runs in a process of its own (see hono-overhead-child.ts), fresh each round. The added
 * cost of a variant is its time minus the bare app's in the same round.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MiddlewareVariant } from './lib/bench-app.js';
import { compareInRounds, printComparison, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';

const VARIANTS: MiddlewareVariant[] = ['bare', 'empty async middleware', 'empty + tenant header read', 'reads only, records nothing', 'ringmeter', '@hono/prometheus (tenant label)', '@hono/otel', 'OTel SDK by hand'];

interface VariantProcess {
  child: ChildProcess;
  /** Resolves with the first message of type `reply` (rejects on 'failed' or an exit). */
  ask<T>(message: object, reply: string): Promise<T>;
}

/** Starts one variant's process (hono-overhead-child.ts) and waits until its app is built. */
async function startVariant(variant: MiddlewareVariant): Promise<VariantProcess> {
  const script = fileURLToPath(new URL('./hono-overhead-child.js', import.meta.url));
  const child = fork(script, [variant], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>(reply: string) => new Promise<T>((resolve, reject) => {
    const onMessage = (message: { type: string; error?: string }) => {
      if (message.type !== reply && message.type !== 'failed') return;
      child.off('message', onMessage).off('exit', onExit);
      if (message.type === 'failed') reject(new Error(`${variant}: ${message.error}`));
      else resolve(message as T);
    };
    const onExit = (code: number | null) => reject(new Error(`${variant} benchmark process exited (${code})`));
    child.on('message', onMessage).once('exit', onExit);
  });
  await next('ready');
  return { child, ask: (message, reply) => { const answer = next(reply); child.send(message); return answer as never; } };
}

export async function run(options: { rounds?: number; timeMillis?: number } = {}): Promise<Comparison> {
  let processes: VariantProcess[] = [];
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
        measure: async (timeMillis: number) => (await processes[i].ask<{ nanosPerRequest: number }>({ type: 'measure', timeMillis }, 'measured')).nanosPerRequest,
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
