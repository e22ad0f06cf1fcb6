/**
 * What instrumentPg costs per query, against the bare node-postgres pool, in one run: rotated rounds, medians of
 * per-round figures, differences taken within each round (as bench/postgres-overhead.ts does for postgres.js).
 *
 * 1. Main-thread CPU per query, isolated: a pool-shaped stand-in whose `query` answers at once with a resolved
 *    promise (no I/O, no pg protocol work), bare and instrumented. The difference is all the wrapper adds: Proxy
 *    trap, argument checks, two clock reads, tenant and SQL id lookups, the pool counts, the settle reaction and
 *    the ring write. Linux only (/proc/thread-self/schedstat: this thread's CPU, not the worker's).
 * 2. Queries per second on the real server (127.0.0.1:5432): batches of concurrent parameterised queries
 *    (`pool.query(text, [n])`) through a pg.Pool with max 10, bare and instrumented, wall time.
 * 3. Main-thread CPU per real query over the same workload: (1) with pg's protocol work and the network in.
 *
 * Queries run outside any request (tenant `system`).
 */
import pg from 'pg';
import { createCollector } from '../src/index.js';
import { instrumentPg } from '../src/pg/index.js';
import { cpuTimeInRounds, medianDifference, type CpuVariant, type CpuVariantResult } from './lib/cpu-rounds.js';
import { compareInRounds, printComparison, round, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const BATCH = 1_000;
const SERVER_BATCH = 100;
const QUERY_TEXT = 'select "id", "name" from "users" where "users"."id" = $1';
const SERVER_QUERY = 'select $1::int as n';

export interface PgOverheadResult {
  /** Main-thread CPU ns per query on the stand-in pool; undefined off Linux. */
  isolatedCpu: CpuVariantResult[] | undefined;
  /** Median over rounds of (instrumented − bare) main-thread CPU ns per query: the wrapper's cost. */
  overheadNanos: number | undefined;
  server: Comparison;
  queriesPerSecond: { bare: number; wrapped: number };
  serverCpu: { perQuery: CpuVariantResult[]; overheadNanos: number } | undefined;
  dropped: number;
}

export interface RunOptions {
  rounds?: number;
  timeMillis?: number;
  isolatedBatches?: number;
  serverQueries?: number;
}

/** A pg.Pool-shaped stand-in: `query` answers at once, the counts are fixed (10 open, 8 idle). */
function standInPool(): pg.Pool {
  const answer = { command: 'SELECT', rowCount: 1, rows: [{ id: 1, name: 'a' }], fields: [] };
  return {
    query: (_text: unknown, _values?: unknown) => Promise.resolve(answer),
    connect: () => Promise.reject(new Error('not in this benchmark')),
    totalCount: 10,
    idleCount: 8,
    waitingCount: 0,
  } as unknown as pg.Pool;
}

function batchesOf(batches: number, size: number, make: (i: number) => unknown): () => Promise<void> {
  return async () => {
    const queries = new Array<unknown>(size);
    for (let batch = 0; batch < batches; batch++) {
      for (let i = 0; i < size; i++) queries[i] = make(i);
      await Promise.all(queries);
    }
  };
}

export async function run(options: RunOptions = {}): Promise<PgOverheadResult> {
  const rounds = Math.max(3, options.rounds ?? 5);
  const collector = createCollector({
    env: {},
    metrics: { runtime: false },
    maxMemoryBytes: 1 << 28,
    otlp: { endpoint: 'http://127.0.0.1:9/v1/metrics', exportIntervalMillis: 3_600_000, timeoutMillis: 100 },
  });
  const bareStandIn = standInPool();
  const wrappedStandIn = instrumentPg(collector, standInPool(), { database: 'stand-in' });
  const batches = options.isolatedBatches ?? 50;
  const cpuRounds = Math.max(rounds, options.rounds === undefined ? 7 : rounds);
  const isolatedCpu = await cpuTimeInRounds(
    [
      { name: 'bare pool.query()', operations: batches * BATCH, run: batchesOf(batches, BATCH, (i) => bareStandIn.query(QUERY_TEXT, [i])) },
      {
        name: 'instrumentPg pool.query()',
        operations: batches * BATCH,
        run: batchesOf(batches, BATCH, (i) => wrappedStandIn.query(QUERY_TEXT, [i])),
      },
    ],
    cpuRounds,
  );
  const overheadNanos = isolatedCpu && medianDifference(isolatedCpu, 'instrumentPg pool.query()', 'bare pool.query()');

  const bare = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
  const wrapped = instrumentPg(collector, new pg.Pool({ connectionString: DATABASE_URL, max: 10 }), { database: 'bench' });
  const serverVariants = (queries: number): CpuVariant[] => [
    {
      name: 'bare pg.Pool',
      operations: queries,
      run: batchesOf(Math.ceil(queries / SERVER_BATCH), SERVER_BATCH, (i) => bare.query(SERVER_QUERY, [i])),
    },
    {
      name: 'instrumentPg',
      operations: queries,
      run: batchesOf(Math.ceil(queries / SERVER_BATCH), SERVER_BATCH, (i) => wrapped.query(SERVER_QUERY, [i])),
    },
  ];
  const server = await compareInRounds({
    title: `Real server: ${SERVER_BATCH} concurrent parameterised queries, pg.Pool max 10, wall time`,
    baseline: 'bare pg.Pool',
    rounds,
    timeMillis: options.timeMillis ?? 600,
    variants: serverVariants(SERVER_BATCH).map(({ name, operations, run }) => ({ name, operationsPerRun: operations, run })),
  });
  const queriesPerSecond = {
    bare: 1e9 / server.variants.find((v) => v.name === 'bare pg.Pool')!.medianNanos,
    wrapped: 1e9 / server.variants.find((v) => v.name === 'instrumentPg')!.medianNanos,
  };
  const serverCpuResults = await cpuTimeInRounds(serverVariants(options.serverQueries ?? 3_000), cpuRounds);
  const serverCpu = serverCpuResults && {
    perQuery: serverCpuResults,
    overheadNanos: medianDifference(serverCpuResults, 'instrumentPg', 'bare pg.Pool'),
  };
  const dropped = collector.stats().ring.dropped;
  await Promise.all([bare.end(), wrapped.end()]);
  await collector.shutdown().catch(() => {});
  return { isolatedCpu, overheadNanos, server, queriesPerSecond, serverCpu, dropped };
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
  const quick = process.env.BENCH_QUICK === '1';
  const result = await run(quick ? { rounds: 3, timeMillis: 20, isolatedBatches: 2, serverQueries: 200 } : {});
  if (result.isolatedCpu && result.overheadNanos !== undefined) {
    printCpu('Main-thread CPU per query, stand-in pool (no I/O)', result.isolatedCpu);
    console.log(`instrumentPg overhead, main-thread CPU per query: ${round(result.overheadNanos)} ns`);
  }
  printComparison(result.server, 'µs');
  console.log(
    `queries/s on the server: bare ${Math.round(result.queriesPerSecond.bare)}, wrapped ${Math.round(result.queriesPerSecond.wrapped)}`,
  );
  if (result.serverCpu) {
    printCpu('Main-thread CPU per real query', result.serverCpu.perQuery);
    console.log(`difference with the network in: ${round(result.serverCpu.overheadNanos)} ns per query`);
  }
  console.log(`records dropped during the run (ring full): ${result.dropped}`);
  saveSection('pg-overhead', result);
}
