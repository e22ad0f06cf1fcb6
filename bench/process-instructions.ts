/**
 * The whole process's cost of a request in machine instructions, thread by thread: the 20-route app with 1,000
 * tenants on @hono/node-server over real TCP, run under `valgrind --tool=callgrind --separate-threads=yes` (which
 * serialises the threads and counts each apart), driven by keep-alive requests from this process (outside valgrind:
 * the load's own instructions are not counted). Instruction counts do not depend on what else the machine runs, so
 * unlike the timed end-to-end benchmark these figures hold on a loaded machine.
 *
 * Three phases per variant, cut by `callgrind_control --dump` (every thread's counts, numbered dumps):
 * 1. start-up and warm-up requests (not used);
 * 2. `requests` requests, then until the worker has read every record: the requests' cost, every thread;
 * 3. `idleMillis` with no request: what the timers cost per second (the event-loop probe, the runtime sampler, the
 *    worker's drain timer, V8's and libuv's threads), on wall-clock time.
 * Under valgrind a request takes ~50× its native time, so phase 2 holds ~50× the timers' native share per request:
 * `net` takes the main thread's and the worker's out (phase 3's rate × phase 2's wall time); the timers' native share per request is their rate over
 * the request rate, which the report states at 1,000 requests per second.
 *
 * Threads are named by what they ran in the first phase: `main`, `worker` (the piscina thread: node::worker),
 * `V8 platform` (GC helpers, concurrent marking and compiling), `libuv pool`, `other`.
 *
 * Needs valgrind (skipped, and said so, without it). BENCH_PROCESS_REQUESTS (default 4,000), BENCH_PROCESS_IDLE_MILLIS
 * (default 10,000), BENCH_PROCESS_WARM_UP (default 3,000).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ROUTES, TENANTS, type MiddlewareVariant } from './lib/bench-app.js';
import { saveSection } from './lib/results.js';

const VARIANTS: MiddlewareVariant[] = [
  'bare',
  'empty async middleware',
  'ringmeter',
  'empty + idle collector',
  'empty + idle collector, no runtime metrics',
];
const THREAD_KINDS = ['main', 'worker', 'V8 platform', 'libuv pool', 'other'] as const;
type ThreadKind = (typeof THREAD_KINDS)[number];
/** The request rate at which the timers' share per request is stated. */
const STATED_RATE = 1_000;
const CONNECTIONS = 8;

export interface VariantInstructions {
  variant: string;
  /** Phase 2: instructions per request, by thread kind (the timers' share at valgrind's pace included). */
  perRequest: Record<ThreadKind, number>;
  /** Phase 3: instructions per second of wall time with no request, by thread kind. */
  idlePerSecond: Record<ThreadKind, number>;
  /** Phase 2 less the timers (phase 3's rate × phase 2's wall time), by thread kind. */
  netPerRequest: Record<ThreadKind, number>;
  /** Phase 2's wall time (valgrind's pace: what the timers' share per request depends on). */
  servingSeconds: number;
  /** The main thread's garbage collections in phase 2, per 1,000 requests. */
  collections: { scavengesPerThousand: number; otherPerThousand: number };
}

function zeroes(): Record<ThreadKind, number> {
  return Object.fromEntries(THREAD_KINDS.map((kind) => [kind, 0])) as Record<ThreadKind, number>;
}

/** What a thread is, from the functions it ran (callgrind's `fn=` names, compressed or not). */
function threadKind(thread: number, names: string): ThreadKind {
  if (thread === 1) return 'main';
  if (names.includes('node::worker::Worker::Run')) return 'worker';
  if (/PlatformWorkerThread|DelayedTaskScheduler|v8::platform/.test(names)) return 'V8 platform';
  if (/uv__work_submit|uv_sem_wait|threadpool\.c|\bworker\b.*libuv/.test(names)) return 'libuv pool';
  return 'other';
}

/** Instructions per thread number in one dump (`<prefix>.<dump>-<thread>`), and every name each thread's files hold. */
function dumpTotals(directory: string, dump: number): Map<number, number> {
  const totals = new Map<number, number>();
  for (const name of readdirSync(directory)) {
    const match = new RegExp(`\\.${dump}-(\\d+)$`).exec(name);
    if (match === null) continue;
    const summary = /^summary: (\d+)$/m.exec(readFileSync(join(directory, name), 'utf8'));
    totals.set(Number(match[1]), summary === null ? 0 : Number(summary[1]));
  }
  return totals;
}

function threadNames(directory: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const name of readdirSync(directory)) {
    const match = /-(\d+)$/.exec(name);
    if (match === null) continue;
    const thread = Number(match[1]);
    const text = readFileSync(join(directory, name), 'utf8');
    const functions = text.match(/^c?fn=.*$/gm)?.join('\n') ?? '';
    names.set(thread, `${names.get(thread) ?? ''}\n${functions}`);
  }
  return names;
}

/** `count` GET requests over CONNECTIONS keep-alive connections, routes and tenants in turn. */
async function load(port: number, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let next = 0;
  const one = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, agent, path: ROUTES[n % ROUTES.length].path, headers: { 'x-tenant-id': TENANTS[n % TENANTS.length] } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let n = next++; n < count; n = next++) await one(n);
    }),
  );
  agent.destroy();
}

async function measureVariant(
  variant: MiddlewareVariant,
  sizes: { requests: number; idleMillis: number; warmUp: number },
): Promise<VariantInstructions> {
  const directory = mkdtempSync(join(tmpdir(), 'process-instructions-'));
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--separate-threads=yes',
      `--callgrind-out-file=${join(directory, 'out.%p')}`,
      process.execPath,
      fileURLToPath(new URL('./process-instructions-child.js', import.meta.url)),
      variant,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const answer = async (expected: RegExp): Promise<string> => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`${variant}: the server ended before ${expected}\n${stderr}`);
      if (expected.test(value)) return value;
    }
  };
  const ask = async (command: string): Promise<string> => {
    child.stdin.write(`${command}\n`);
    const answers: Record<string, string> = { hold: 'holding \\d+ \\d+', release: 'released', stop: 'stopped', drained: 'drained' };
    return answer(new RegExp(`^${answers[command]}$`));
  };
  /** Ends a phase: every thread's counts dumped (callgrind_control), the main thread's collections since the last. */
  const mark = async (): Promise<number[]> => {
    const collections = (await ask('hold')).split(' ').slice(1).map(Number);
    await promisify(execFile)('callgrind_control', ['--dump', String(child.pid)]);
    await ask('release');
    return collections;
  };
  try {
    const port = Number((await answer(/^listening \d+$/)).split(' ')[1]);
    await load(port, sizes.warmUp);
    await ask('drained');
    await mark();
    const servingStarted = performance.now();
    await load(port, sizes.requests);
    await ask('drained');
    const [scavenges, otherCollections] = await mark();
    const servingSeconds = (performance.now() - servingStarted) / 1000;
    const idleStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, sizes.idleMillis));
    await mark();
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    await ask('stop');
    await new Promise((resolve) => child.once('exit', resolve));

    const names = threadNames(directory);
    const perRequest = zeroes();
    const idlePerSecond = zeroes();
    for (const [thread, count] of dumpTotals(directory, 2))
      perRequest[threadKind(thread, names.get(thread) ?? '')] += count / sizes.requests;
    for (const [thread, count] of dumpTotals(directory, 3))
      idlePerSecond[threadKind(thread, names.get(thread) ?? '')] += count / idleSeconds;
    const netPerRequest = zeroes();
    // Only the main thread's and the worker's idle work is timers; V8's threads, idle, finish background compiles
    // and run the memory reducer's collections, which are no steady rate to take out.
    for (const kind of THREAD_KINDS) {
      const timers = kind === 'main' || kind === 'worker' ? (idlePerSecond[kind] * servingSeconds) / sizes.requests : 0;
      netPerRequest[kind] = perRequest[kind] - timers;
    }
    const collectionRates = {
      scavengesPerThousand: (scavenges * 1_000) / sizes.requests,
      otherPerThousand: (otherCollections * 1_000) / sizes.requests,
    };
    return { variant, perRequest, idlePerSecond, netPerRequest, collections: collectionRates, servingSeconds };
  } finally {
    child.kill();
    rmSync(directory, { recursive: true, force: true });
  }
}

function sum(byKind: Record<ThreadKind, number>): number {
  return THREAD_KINDS.reduce((total, kind) => total + byKind[kind], 0);
}

function row(name: string, byKind: Record<ThreadKind, number>, digits = 0): string {
  const cells = [...THREAD_KINDS.map((kind) => byKind[kind]), sum(byKind)].map((value) => value.toFixed(digits).padStart(12));
  return `${name.padEnd(46)}${cells.join('')}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('process-instructions: skipped, valgrind is not installed');
    saveSection('process-instructions', { skipped: 'valgrind is not installed' });
  } else {
    const quick = process.env.BENCH_QUICK === '1';
    const sizes = {
      requests: Number(process.env.BENCH_PROCESS_REQUESTS ?? (quick ? 20 : 4_000)),
      idleMillis: Number(process.env.BENCH_PROCESS_IDLE_MILLIS ?? (quick ? 200 : 10_000)),
      warmUp: Number(process.env.BENCH_PROCESS_WARM_UP ?? (quick ? 20 : 5_000)),
    };
    const asked = process.argv.slice(2) as MiddlewareVariant[];
    const variants = asked.length > 0 ? asked : quick ? VARIANTS.slice(2, 3) : VARIANTS;
    // Two at a time: valgrind runs every thread of a server on one core; counts do not depend on what runs beside.
    const results: VariantInstructions[] = [];
    const queue = [...variants];
    await Promise.all(
      [0, 1].map(async () => {
        for (let variant = queue.shift(); variant !== undefined; variant = queue.shift())
          results.push(await measureVariant(variant, sizes));
      }),
    );
    results.sort((a, b) => variants.indexOf(a.variant as MiddlewareVariant) - variants.indexOf(b.variant as MiddlewareVariant));
    const header = `${''.padEnd(46)}${[...THREAD_KINDS, 'process'].map((kind) => kind.padStart(12)).join('')}`;
    console.log(`Instructions per request (${sizes.requests} requests, ${CONNECTIONS} connections; callgrind, every thread)`);
    console.log(header);
    for (const result of results) console.log(row(result.variant, result.perRequest));
    console.log('\nThe same less the timers at valgrind pace (net)');
    console.log(header);
    for (const result of results) console.log(row(result.variant, result.netPerRequest));
    console.log(
      `\nInstructions per second with no request (${sizes.idleMillis} ms): over ${STATED_RATE} requests/s, the timers per request`,
    );
    console.log(header);
    for (const result of results) console.log(row(result.variant, result.idlePerSecond));
    console.log('\nMain-thread garbage collections per 1,000 requests (phase 2): scavenges, others');
    for (const result of results)
      console.log(
        `${result.variant.padEnd(46)}${result.collections.scavengesPerThousand.toFixed(2).padStart(12)}${result.collections.otherPerThousand.toFixed(2).padStart(12)}`,
      );
    saveSection('process-instructions', { sizes, statedRate: STATED_RATE, results });
  }
}
