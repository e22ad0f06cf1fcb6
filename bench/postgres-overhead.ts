/**
 * What instrumentPostgres costs per query, against the bare postgres.js client, in one run: rotated rounds,
 * medians of per-round figures, differences and ratios taken within each round.
 *
 * 1. Main-thread time per query, isolated (the ≤ 1 µs target). Over the network a sub-microsecond difference
 *    drowns in latency, so these queries are real postgres.js Query objects (the class taken from a real client)
 *    whose connection is a stand-in that answers at once: each query is created, awaited (postgres.js's own lazy
 *    start, `await 1` and hand-over run unchanged) and resolved, with no I/O. Bare and wrapped do the same
 *    postgres.js work, so their difference is all the wrapper adds on the main thread: Proxy trap, handler swap,
 *    two clock reads, tenant and SQL id lookups, the settle wrappers, the ring write, and the garbage they leave.
 *    Measured as main-thread CPU time (Linux /proc/thread-self/schedstat, nanoseconds, this thread only: neither
 *    ringmeter's worker nor time spent waiting for a core on a shared machine counts), for `unsafe()` (Drizzle's
 *    path) and tagged templates; the same batches also go through compareInRounds for wall time.
 * 2. Queries per second on the real server (PostgreSQL on 127.0.0.1:5432): batches of concurrent parameterised
 *    queries (`unsafe(text, [n])`, as Drizzle sends them) through a client with max 10, bare and wrapped.
 * 3. Main-thread CPU per real query over the same workload: a cross-check of (1) with the network in, where the
 *    difference is small against postgres.js's own protocol work and noisier.
 *
 * Queries run outside any request (tenant `system`): entering a request's AsyncLocalStorage scope is the HTTP
 * middleware's cost, not this wrapper's.
 */
import postgres from 'postgres';
import { createCollector } from '../src/index.js';
import { instrumentPostgres } from '../src/postgres/index.js';
import { cpuTimeInRounds, medianDifference, type CpuVariant, type CpuVariantResult } from './lib/cpu-rounds.js';
import { compareInRounds, printComparison, round, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** Queries per awaited batch (stand-in) and per concurrent batch (server). */
const BATCH = 1_000;
const SERVER_BATCH = 100;
const QUERY_TEXT = 'select "id", "name" from "users" where "users"."id" = $1';
const SERVER_QUERY = 'select $1::int as n';

type Sql = ReturnType<typeof postgres>;
type QueryClass = new (
  strings: readonly string[],
  args: unknown[],
  handler: unknown,
  canceller: unknown,
  options?: object,
) => Promise<unknown>;

export interface PostgresOverheadResult {
  /** Main-thread CPU ns per query on the stand-in connection; undefined off Linux. */
  isolatedCpu: CpuVariantResult[] | undefined;
  /** Median over rounds of (wrapped − bare) main-thread CPU ns per query: the wrapper's cost. */
  overheadNanos: { unsafe: number; tagged: number } | undefined;
  /** The same batches, wall time. */
  isolatedWall: Comparison;
  server: Comparison;
  queriesPerSecond: { bare: number; wrapped: number };
  /** Main-thread CPU ns per real query, and the median per-round difference. */
  serverCpu: { perQuery: CpuVariantResult[]; overheadNanos: number } | undefined;
  dropped: number;
}

export interface RunOptions {
  rounds?: number;
  timeMillis?: number;
  /** Awaited batches of BATCH stand-in queries per measured run. [default: 50] */
  isolatedBatches?: number;
  /** Real queries per measured run of the server CPU comparison. [default: 5000] */
  serverQueries?: number;
}

/** A postgres.js-shaped client whose queries are real postgres.js Queries, answered at once by a stand-in connection. */
function standInClient(Query: QueryClass): Sql {
  const answer = Object.assign([], { count: 0, command: 'SELECT' });
  const connection = Object.assign((query: { resolve(value: unknown): void }) => query.resolve(answer), { debug: false });
  const sql = (strings: readonly string[], ...args: unknown[]) => new Query(strings, args, connection, undefined);
  return Object.assign(sql, {
    unsafe: (text: string, args: unknown[] = [], options: object = {}) =>
      new Query([text], args, connection, undefined, { prepare: false, ...options, simple: args.length === 0 }),
    begin: () => Promise.reject(new Error('not in this benchmark')),
    options: { max: 10, database: 'bench' },
  }) as unknown as Sql;
}

/** `batches` awaited batches of `size` queries made by `make`. */
function batchesOf(batches: number, size: number, make: (i: number) => unknown): () => Promise<void> {
  return async () => {
    const queries = new Array<unknown>(size);
    for (let batch = 0; batch < batches; batch++) {
      for (let i = 0; i < size; i++) queries[i] = make(i);
      await Promise.all(queries);
    }
  };
}

export async function run(options: RunOptions = {}): Promise<PostgresOverheadResult> {
  const rounds = Math.max(3, options.rounds ?? 5);
  const collector = createCollector({
    // The default ring (65,536 records, 2 MiB), as a service would run: a bigger one is colder in the caches.
    env: {},
    metrics: { runtime: false },
    maxMemoryBytes: 1 << 28,
    otlp: { endpoint: 'http://127.0.0.1:9/v1/metrics', exportIntervalMillis: 3_600_000, timeoutMillis: 100 },
  });
  const probe = postgres(DATABASE_URL);
  // The Query class, from a query that is never awaited (so never sent).
  const Query = Object.getPrototypeOf(probe.unsafe('select 1')).constructor as QueryClass;
  await probe.end();

  const bareStandIn = standInClient(Query);
  const wrappedStandIn = instrumentPostgres(collector, standInClient(Query), { database: 'stand-in' });
  const tagged = (sql: Sql, n: number) => sql`select "id", "name" from "users" where "users"."id" = ${n}`;
  const isolatedVariants = (batches: number): CpuVariant[] => [
    { name: 'bare unsafe()', operations: batches * BATCH, run: batchesOf(batches, BATCH, (i) => bareStandIn.unsafe(QUERY_TEXT, [i])) },
    {
      name: 'wrapped unsafe()',
      operations: batches * BATCH,
      run: batchesOf(batches, BATCH, (i) => wrappedStandIn.unsafe(QUERY_TEXT, [i])),
    },
    { name: 'bare tagged template', operations: batches * BATCH, run: batchesOf(batches, BATCH, (i) => tagged(bareStandIn, i)) },
    { name: 'wrapped tagged template', operations: batches * BATCH, run: batchesOf(batches, BATCH, (i) => tagged(wrappedStandIn, i)) },
  ];
  // CPU figures are short to take and noisier than wall-time medians: take more rounds of them.
  const cpuRounds = Math.max(rounds, options.rounds === undefined ? 7 : rounds);
  const isolatedCpu = await cpuTimeInRounds(isolatedVariants(options.isolatedBatches ?? 50), cpuRounds);
  const overheadNanos = isolatedCpu && {
    unsafe: medianDifference(isolatedCpu, 'wrapped unsafe()', 'bare unsafe()'),
    tagged: medianDifference(isolatedCpu, 'wrapped tagged template', 'bare tagged template'),
  };
  const isolatedWall = await compareInRounds({
    title: 'Per query, stand-in connection (no I/O), wall time',
    baseline: 'bare unsafe()',
    rounds,
    timeMillis: options.timeMillis,
    variants: isolatedVariants(1).map(({ name, operations, run }) => ({ name, operationsPerRun: operations, run })),
  });

  const bare = postgres(DATABASE_URL, { max: 10 });
  const wrapped = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 10 }), { database: 'bench' });
  const serverVariants = (queries: number): CpuVariant[] => [
    {
      name: 'bare postgres.js',
      operations: queries,
      run: batchesOf(Math.ceil(queries / SERVER_BATCH), SERVER_BATCH, (i) => bare.unsafe(SERVER_QUERY, [i])),
    },
    {
      name: 'instrumentPostgres',
      operations: queries,
      run: batchesOf(Math.ceil(queries / SERVER_BATCH), SERVER_BATCH, (i) => wrapped.unsafe(SERVER_QUERY, [i])),
    },
  ];
  const server = await compareInRounds({
    title: `Real server: ${SERVER_BATCH} concurrent parameterised queries, max 10 connections, wall time`,
    baseline: 'bare postgres.js',
    rounds,
    timeMillis: options.timeMillis ?? 600,
    variants: serverVariants(SERVER_BATCH).map(({ name, operations, run }) => ({ name, operationsPerRun: operations, run })),
  });
  const queriesPerSecond = {
    bare: 1e9 / server.variants.find((v) => v.name === 'bare postgres.js')!.medianNanos,
    wrapped: 1e9 / server.variants.find((v) => v.name === 'instrumentPostgres')!.medianNanos,
  };
  const serverCpuResults = await cpuTimeInRounds(serverVariants(options.serverQueries ?? 3_000), cpuRounds);
  const serverCpu = serverCpuResults && {
    perQuery: serverCpuResults,
    overheadNanos: medianDifference(serverCpuResults, 'instrumentPostgres', 'bare postgres.js'),
  };

  const dropped = collector.stats().ring.dropped;
  await Promise.all([bare.end(), wrapped.end()]);
  await collector.shutdown().catch(() => {});
  return { isolatedCpu, overheadNanos, isolatedWall, server, queriesPerSecond, serverCpu, dropped };
}

function printCpu(title: string, results: CpuVariantResult[]): void {
  console.log(`\n${title} (median of ${results[0].perRoundNanos.length} rotated rounds)`);
  console.table(
    results.map((r) => ({
      variant: r.name,
      'median CPU ns/query': round(r.medianNanos),
      'min–max ns': `${round(Math.min(...r.perRoundNanos))}–${round(Math.max(...r.perRoundNanos))}`,
    })),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!(globalThis as { gc?: unknown }).gc)
    console.log('(run with --expose-gc, as run-all does, to start each CPU-timed run from a collected heap)');
  const quick = process.env.BENCH_QUICK === '1';
  const result = await run(quick ? { rounds: 3, timeMillis: 20, isolatedBatches: 2, serverQueries: 200 } : {});
  if (result.isolatedCpu && result.overheadNanos) {
    printCpu('Main-thread CPU per query, stand-in connection (no I/O)', result.isolatedCpu);
    console.log(
      `wrapper overhead, main-thread CPU per query: unsafe() ${round(result.overheadNanos.unsafe)} ns, tagged template ${round(result.overheadNanos.tagged)} ns (target ≤ 1000 ns)`,
    );
  }
  printComparison(result.isolatedWall);
  printComparison(result.server, 'µs');
  console.log(
    `queries/s on the server: bare ${Math.round(result.queriesPerSecond.bare)}, wrapped ${Math.round(result.queriesPerSecond.wrapped)}`,
  );
  if (result.serverCpu) {
    printCpu('Main-thread CPU per real query', result.serverCpu.perQuery);
    console.log(`difference with the network in: ${round(result.serverCpu.overheadNanos)} ns per query`);
  }
  console.log(`records dropped during the run (ring full): ${result.dropped}`);
  saveSection('postgres-overhead', result);
}
