/**
 * Worker aggregation throughput: how many HTTP records one worker turns into series per second. The worker's
 * drain loop is measured in-process (no thread hop), over a ring prefilled with records: uniform over 100,000
 * series (1,000 tenants × 20 routes × 5 status codes, the cache-hostile case) and Zipf-skewed over the same keys
 * (a few hot tenants, as real traffic is).
 */
import { HttpAggregator } from '../workers/aggregation/http-aggregator.js';
import { MemoryBudget } from '../workers/memory-budget.js';
import { Dictionary } from '../workers/dictionary.js';
import { HEADER_BYTES, RECORD_WORDS, TENANT } from '../src/contract/ring-layout.js';
import { KIND_HTTP, tag } from '../src/contract/codes.js';
import { RingWriter } from '../src/ring/ring-writer.js';
import { StringTableWriter } from '../src/strings/string-table.js';
import { compareInRounds, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';

const RECORDS = 1 << 16;
const TENANTS = 1_000;
const ROUTES = 20;
const STATUSES = [200, 201, 404, 500, 503];

function prefilledRing(pick: () => number, tenantIds: number[], routeIds: number[]): RingWriter {
  const ring = new RingWriter(RECORDS, 0);
  for (let i = 0; i < RECORDS; i++) {
    const key = pick();
    const tenant = tenantIds[key % TENANTS];
    const route = routeIds[Math.floor(key / TENANTS) % ROUTES];
    const status = STATUSES[Math.floor(key / (TENANTS * ROUTES)) % STATUSES.length];
    ring.writeWithByteCounts(tag(KIND_HTTP, 1, status), route, tenant, (i % 997) / 1_000, 200, 2_000);
  }
  return ring;
}

/** A Zipf(1) sampler over n keys. */
function zipf(n: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cumulative[k] = total += 1 / (k + 1);
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export async function run(
  options: { rounds?: number; timeMillis?: number } = {},
): Promise<{ comparison: Comparison; recordsPerSecond: Record<string, number> }> {
  const table = new StringTableWriter(10_000, 1_000_000);
  const tenantIds = Array.from({ length: TENANTS }, (_, i) => table.append(`tenant-${i}`));
  const routeIds = Array.from({ length: ROUTES }, (_, i) => table.append(`/api/r${i}/:id\u001fapi`));
  const keys = TENANTS * ROUTES * STATUSES.length;
  const random = seeded(42);
  const workloads = {
    'uniform over 100,000 series': prefilledRing(() => Math.floor(random() * keys), tenantIds, routeIds),
    'Zipf-skewed over 100,000 series': prefilledRing(zipf(keys, random), tenantIds, routeIds),
  };

  const variants = Object.entries(workloads).map(([name, ring]) => {
    const aggregator = new HttpAggregator(new Dictionary(table.buffer, 10_000), {
      maxSeries: 1_000_000,
      budget: new MemoryBudget(1 << 30),
      nowMillis: Date.now(),
      idleMillis: 1e12,
      tenantMetrics: true,
    });
    const words = new Uint32Array(ring.buffer, HEADER_BYTES);
    const floats = new Float64Array(ring.buffer, HEADER_BYTES);
    return {
      name,
      operationsPerRun: RECORDS,
      run: () => {
        const now = Date.now();
        // The shard passes the tenant it aggregates the record under (its own here: no tenant is folded).
        for (let slot = 0; slot < RECORDS; slot++) aggregator.consume(words, floats, slot, now, words[slot * RECORD_WORDS + TENANT]);
      },
    };
  });
  const comparison = await compareInRounds({
    title: 'Worker aggregation (one worker, HTTP records)',
    baseline: variants[0].name,
    variants,
    rounds: options.rounds,
    timeMillis: options.timeMillis ?? 1_000,
  });
  const recordsPerSecond = Object.fromEntries(comparison.variants.map((variant) => [variant.name, 1e9 / variant.medianNanos]));
  return { comparison, recordsPerSecond };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await run(quick ? { rounds: 3, timeMillis: 20 } : {});
  console.log('\nWorker aggregation, records per second (median of rounds; best round in brackets)');
  for (const variant of result.comparison.variants) {
    console.log(`  ${variant.name}: ${(1e3 / variant.medianNanos).toFixed(2)} M/s  [${(1e3 / variant.minNanos).toFixed(2)} M/s]`);
  }
  saveSection('aggregation', result);
}
