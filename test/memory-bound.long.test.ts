import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from 'ringmeter';
import { FloodServer, type Measured } from './support/flood-server.js';
import { pointsNamed, total } from './support/harness.js';
import { OtlpReceiver } from './support/otlp-receiver.js';

const MIB = 1024 * 1024;
const TENANTS = 10_000;
const ROUTES = 64;
const REQUESTS = 80_000;

/** The status request i asks for: 500 for every tenth, 404 for the next, else 200. */
const statusOf = (i: number) => (i % 10 === 0 ? 500 : i % 10 === 1 ? 404 : 200);

/** The main thread's growth: the tenant interner's 10,000 ids (maxTenants), ~100 bytes each. */
const MAIN_THREAD_TENANTS_BYTES = 2 * MIB;
/** What the budget charges whatever it says: one overflow cell per metric of the GET /metrics totals, and the like. */
const FORCED_BYTES = 64 * 1024;
/** RSS beyond the bound: measured 17–31 MiB, the most under the whole suite's parallel load (docs/architecture.md). */
const RSS_OVERHEAD_BYTES = 40 * MIB;
/** A second flood of the same tenants: measured −2.5 to +6.9 MiB (a leak would grow by the first flood's figure again). */
const RSS_SECOND_FLOOD_BYTES = 12 * MIB;
/** ringmeter under the same traffic from one tenant (worker thread, ring, exports): measured 30–36 MiB. */
const RINGMETER_FIXED_BYTES = 48 * MIB;

const workerHeaps = (m: Measured) => m.workers.reduce((sum, w) => sum + w.heapUsedBytes + w.arrayBufferBytes, 0);
const mainHeaps = (m: Measured) => m.main.heapUsed + m.main.arrayBuffers;
const mib = (bytes: number) => Math.round((bytes / MIB) * 100) / 100;

describe('the memory bound (maxMemoryBytes) against client-chosen tenants', () => {
  // 240,000 requests through real sockets and three measured flushes: 70–114 s on a quiet 2-core machine (CI), so the
  // time limit leaves room for a slower one; what it asserts is exact and does not depend on it.
  it('80,000 requests from 10,000 tenant ids over 64 routes on @hono/node-server: totals exact, tenants folded and counted, memory within the bound', async () => {
    const receiver = await new OtlpReceiver().start();
    const server = await FloodServer.start(receiver.url);
    try {
      const flood = Array.from({ length: REQUESTS }, (_, i) => ({
        path: `/r${i % ROUTES}/${i}?status=${statusOf(i)}`,
        tenant: `tenant-${i % TENANTS}`,
      }));
      // The control: the same requests to the same routes without ringmeter at all, so that what the app and its
      // sockets grow into is there before ringmeter's baseline.
      await server.getAll(flood.map(({ path, tenant }) => ({ path: `/plain${path}`, tenant })));
      const withoutRingmeter = await server.measure();
      // ringmeter's fixed costs under this traffic: the same requests from one tenant (one of the 10,000), exported.
      await server.startCollector();
      const warmUp = flood.map(({ path }) => ({ path: path.replace('?', 'w?'), tenant: 'tenant-0' }));
      await server.getAll(warmUp);
      await server.flush();
      const before = await server.measure();

      const statuses = await server.getAll(flood);
      expect(statuses.every((status, i) => status === statusOf(i))).toBe(true);
      await server.flush();
      const after = await server.measure();

      // Totals exact: per status, over every tenant_id, __overflow__ included; nothing in a label-less overflow series.
      const requests = pointsNamed(receiver.points, 'http_requests_total');
      for (const status of [200, 404, 500]) {
        const sent = [...warmUp, ...flood].filter((r) => r.path.endsWith(`status=${status}`)).length;
        expect(total(receiver.points, 'http_requests_total', { status_code: status })).toBe(sent);
      }
      expect(requests.every((point) => typeof point.attributes.tenant_id === 'string')).toBe(true);
      expect(total(receiver.points, 'ringmeter.series.overflowed')).toBe(0);

      // Tenants: each either has state of its own or is folded into __overflow__, as stats() says.
      const memory = after.stats.memory;
      const own = new Set(requests.map((point) => point.attributes.tenant_id).filter((tenant) => tenant !== '__overflow__'));
      expect(memory.tenants + memory.foldedTenants).toBe(TENANTS);
      expect(own.size).toBe(memory.tenants);
      expect(memory.foldedTenants).toBeGreaterThan(0);
      expect(total(receiver.points, 'http_requests_total', { tenant_id: '__overflow__' })).toBe(memory.foldedRecords);
      expect(total(receiver.points, 'ringmeter.records.folded')).toBe(memory.foldedRecords);
      expect(total(receiver.points, 'ringmeter.tenants.folded')).toBe(memory.foldedTenants);
      expect(memory.limitBytes).toBe(DEFAULT_OPTIONS.maxMemoryBytes);

      // The same requests again, on new paths: nothing new to hold.
      await server.getAll(flood.map(({ path, tenant }) => ({ path: path.replace('?', 'x?'), tenant })));
      await server.flush();
      const again = await server.measure();
      expect(again.stats.memory).toMatchObject({ tenants: memory.tenants, foldedTenants: memory.foldedTenants });

      // Memory, after a full GC (docs/architecture.md, "Memory accounting", gives the measured figures). The
      // worker's heap and array buffers grow by at most the bound; the main thread's by the 10,000 tenant ids its
      // interner keeps (maxTenants).
      console.log(JSON.stringify(memoryFigures(withoutRingmeter, before, after, again)));
      expect(workerHeaps(after) - workerHeaps(before)).toBeLessThanOrEqual(DEFAULT_OPTIONS.maxMemoryBytes);
      expect(mainHeaps(after) - mainHeaps(before)).toBeLessThanOrEqual(MAIN_THREAD_TENANTS_BYTES);
      for (const worker of after.workers) expect(worker.budgetUsedBytes).toBeLessThanOrEqual(worker.budgetLimitBytes + FORCED_BYTES);
      // The process: the bound plus a fixed overhead (the export's freed pages V8 keeps, thread arenas, the string
      // table's tenant region), beyond what ringmeter costs under the same traffic from one tenant; a second flood
      // adds next to nothing.
      expect(after.main.rss - before.main.rss).toBeLessThanOrEqual(DEFAULT_OPTIONS.maxMemoryBytes + RSS_OVERHEAD_BYTES);
      expect(again.main.rss - after.main.rss).toBeLessThanOrEqual(RSS_SECOND_FLOOD_BYTES);
      expect(before.main.rss - withoutRingmeter.main.rss).toBeLessThanOrEqual(RINGMETER_FIXED_BYTES);
    } finally {
      await server.stop();
      await receiver.stop();
    }
  }, 240_000);
});

/** The figures the test asserts on, in MiB, printed so that a run shows them (docs/architecture.md quotes them). */
function memoryFigures(withoutRingmeter: Measured, before: Measured, after: Measured, again: Measured) {
  return {
    ringmeterUnderOneTenantMiB: mib(before.main.rss - withoutRingmeter.main.rss),
    floodRssMiB: mib(after.main.rss - before.main.rss),
    secondFloodRssMiB: mib(again.main.rss - after.main.rss),
    floodWorkerHeapsMiB: mib(workerHeaps(after) - workerHeaps(before)),
    floodMainHeapsMiB: mib(mainHeaps(after) - mainHeaps(before)),
    budgetMiB: mib(after.workers.reduce((sum, w) => sum + w.budgetUsedBytes, 0)),
    tenants: after.stats.memory.tenants,
  };
}
