import { describe, expect, it } from 'vitest';
import { KIND_HTTP, KIND_QUERY, KIND_TENANT_USAGE, QUERY_SUCCESS, USAGE_BYTES, tag } from '../dist/src/contract/codes.js';
import { METRICS } from '../dist/src/contract/metrics.js';
import { A, AUX, B, KEY, TAG, TENANT, VALUE_FLOAT } from '../dist/src/contract/ring-layout.js';
import { resolveOptions } from '../dist/src/options/resolve.js';
import { StringTableWriter } from '../dist/src/strings/string-table.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';
import { Dictionary } from '../dist/workers/dictionary.js';
import { Collection } from '../dist/workers/export/collection.js';
import { CumulativeTotals } from '../dist/workers/export/cumulative-totals.js';
import { TenantProfiles } from '../dist/workers/tenants/tenant-profiles.js';

const gc = (globalThis as { gc?: () => void }).gc as () => void;
const NOW = 1_700_000_000_000;
/** Tenant ids as records carry them (no string-table entry is needed: nothing here reads their labels). */
const FIRST_TENANT = 100_000;

/**
 * Heap in use plus array buffers after a full GC: what the worker's objects take. The least of three looks, since
 * what else runs in this process (the test runner) can only add to a look.
 */
function heapAfterGc(): number {
  let least = Number.POSITIVE_INFINITY;
  for (let look = 0; look < 3; look++) {
    gc();
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    least = Math.min(least, heapUsed + arrayBuffers);
  }
  return least;
}

/** Profiles over a real dictionary and a one-record buffer, the way the shard feeds them. */
function profiles() {
  const table = new StringTableWriter(1_024, 1 << 16);
  const routes = Array.from({ length: 64 }, (_, i) => table.append(`/r${i}/:id\u001fapi`));
  const tables = Array.from({ length: 64 }, (_, i) => table.append(`table${i}`));
  const budget = new MemoryBudget(2 ** 40);
  const dictionary = new Dictionary(table.buffer, 1_024, 0, budget);
  const subject = new TenantProfiles(dictionary, 0, resolveOptions({ env: {} }).activity, NOW, 0.5, budget);
  const words = new Uint32Array(8);
  const floats = new Float64Array(words.buffer);
  const record = (tagWord: number, key: number, tenant: number, value: number) => {
    words.fill(0);
    words[TAG] = tagWord;
    words[KEY] = key;
    words[TENANT] = tenant;
    floats[VALUE_FLOAT] = value;
    words[A] = 10;
    words[B] = 20;
    words[AUX] = 0;
  };
  return {
    budget,
    subject,
    http(tenant: number, route: number, seconds: number) {
      record(tag(KIND_HTTP, 1, 200), routes[route], tenant, seconds);
      subject.consumeHttp(words, floats, 0, NOW, tenant);
    },
    query(tenant: number, table: number) {
      record(tag(KIND_QUERY, QUERY_SUCCESS | (1 << 4), 0), tables[table], tenant, 0.002);
      words[A] = 0;
      words[B] = 0;
      subject.consumeQuery(words, floats, 0, NOW, tenant);
    },
    usage(tenant: number, resource: number) {
      record(tag(KIND_TENANT_USAGE, USAGE_BYTES, 0), tables[resource], tenant, 100);
      subject.consumeUsage(words, floats, 0, NOW, tenant);
    },
  };
}

/**
 * Runs `work` and compares what the budget was charged with what the heap and array buffers grew by: never less
 * (the bound holds on real memory), and not wildly more (the bound is not wasted).
 */
function expectChargedAtLeastMeasured(budget: MemoryBudget, work: () => unknown): void {
  const keep: unknown[] = [];
  const before = heapAfterGc();
  const charged = budget.used;
  keep.push(work());
  const measured = heapAfterGc() - before;
  const charges = budget.used - charged;
  expect(measured).toBeGreaterThan(0);
  expect(charges).toBeGreaterThanOrEqual(measured);
  expect(charges).toBeLessThanOrEqual(2 * measured);
  expect(keep).toHaveLength(1);
}

describe('what the worker charges to maxMemoryBytes, against what V8 measures (heap + array buffers after GC)', () => {
  it('20,000 tenant profiles with a request each (profile, window, endpoint cell, latency sketch)', () => {
    const p = profiles();
    p.http(FIRST_TENANT - 1, 0, 0.001);
    expectChargedAtLeastMeasured(p.budget, () => {
      for (let t = 0; t < 20_000; t++) {
        expect(p.subject.admit(FIRST_TENANT + t, NOW, 0, 0)).toBe(true);
        p.http(FIRST_TENANT + t, 0, 0.001);
      }
    });
  });

  it('20,480 endpoint cells with their windows (320 tenants × 64 routes)', () => {
    const p = profiles();
    p.http(FIRST_TENANT - 1, 0, 0.001);
    for (let t = 0; t < 320; t++) p.subject.admit(FIRST_TENANT + t, NOW, 0, 0);
    expectChargedAtLeastMeasured(p.budget, () => {
      for (let t = 0; t < 320; t++) for (let r = 0; r < 64; r++) p.http(FIRST_TENANT + t, r, 0.001);
    });
  });

  it('64,000 table cells and 64,000 usage entries (1,000 tenants × 64 tables)', () => {
    const p = profiles();
    p.query(FIRST_TENANT - 1, 0);
    p.usage(FIRST_TENANT - 1, 0);
    for (let t = 0; t < 1_000; t++) p.subject.admit(FIRST_TENANT + t, NOW, 0, 0);
    expectChargedAtLeastMeasured(p.budget, () => {
      for (let t = 0; t < 1_000; t++) for (let r = 0; r < 64; r++) p.query(FIRST_TENANT + t, r);
    });
    expectChargedAtLeastMeasured(p.budget, () => {
      for (let t = 0; t < 1_000; t++) for (let r = 0; r < 64; r++) p.usage(FIRST_TENANT + t, r);
    });
  });

  it("5,000 latency sketches grown over five decades, with their interval's marks", () => {
    const p = profiles();
    p.http(FIRST_TENANT - 1, 0, 0.001);
    for (let t = 0; t < 5_000; t++) {
      p.subject.admit(FIRST_TENANT + t, NOW, 0, 0);
      p.http(FIRST_TENANT + t, 0, 0.001);
    }
    expectChargedAtLeastMeasured(p.budget, () => {
      for (let t = 0; t < 5_000; t++) for (const seconds of [0.0001, 0.01, 1, 10]) p.http(FIRST_TENANT + t, 0, seconds);
      p.subject.closeInterval(NOW + 30_000);
    });
  });

  it('GET /metrics totals: 50,000 counter cells and 50,000 histogram cells', () => {
    const budget = new MemoryBudget(2 ** 40);
    const totals = new CumulativeTotals(budget.totals);
    const counts = METRICS.httpDuration.boundaries.map(() => 0);
    const points = (kind: 'counter' | 'histogram', from: number, to: number) => {
      const collection = new Collection(Number.MAX_SAFE_INTEGER, NOW);
      for (let i = from; i < to; i++) {
        const attributes = { method: 'GET', route: `/r${i % 64}/:id`, status_code: 200, tenant_id: `tenant-${i}` };
        if (kind === 'counter') collection.add(METRICS.httpRequests, attributes, NOW, 3);
        else {
          const histogram = { counts: Uint32Array.from([...counts, 1]), sum: 0.1, count: 1, min: 0.1, max: 0.1 };
          collection.add(METRICS.httpDuration, attributes, NOW, histogram);
        }
      }
      return collection.batches;
    };
    for (const kind of ['counter', 'histogram'] as const) {
      for (const batch of points(kind, -100, 0)) totals.absorb(batch);
      // The points are the exporter's: made before the first measurement and kept past the second, so that only
      // the totals' cells (their keys, entries and columns) are measured.
      const batches = points(kind, 0, 50_000);
      expectChargedAtLeastMeasured(budget, () => {
        for (const batch of batches) totals.absorb(batch);
        return batches;
      });
    }
  });
});
