import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from 'ringmeter';
import { FloodServer, type Measured } from './support/flood-server.js';
import { pointsNamed, total } from './support/harness.js';
import { OtlpReceiver } from './support/otlp-receiver.js';

const MIB = 1024 * 1024;
const TENANTS = 10_000;
const ROUTES = 64;

/** The main thread's growth: the tenant interner's 10,000 ids (maxTenants), ~100 bytes each. */
const MAIN_THREAD_TENANTS_BYTES = 2 * MIB;
/** What the budget charges whatever it says: one overflow cell per metric of the GET /metrics totals, and the like. */
const FORCED_BYTES = 64 * 1024;
/** RSS beyond the bound: measured 17–31 MiB, the most under the whole suite's parallel load (docs/architecture.md). */
const RSS_OVERHEAD_BYTES = 40 * MIB;

const workerHeaps = (m: Measured) => m.workers.reduce((sum, w) => sum + w.heapUsedBytes + w.arrayBufferBytes, 0);
const mainHeaps = (m: Measured) => m.main.heapUsed + m.main.arrayBuffers;
const mib = (bytes: number) => Math.round((bytes / MIB) * 100) / 100;

// The 80,000-request flood through real sockets is in memory-bound.long.test.ts (npm run test:long).
describe('the memory bound (maxMemoryBytes) against client-chosen tenants', () => {
  it('10,000 tenants × 64 routes through recordHttp: totals exact, analytics cells summing to each tenant, memory within the bound', async () => {
    const receiver = await new OtlpReceiver().start();
    const server = await FloodServer.start(receiver.url);
    try {
      await server.startCollector();
      // One tenant of the grid on every route first: the routes, their sketches and an export are in the baseline.
      expect(await server.grid(1, ROUTES)).toBe(ROUTES);
      await server.flush();
      const before = await server.measure();
      expect(await server.grid(TENANTS, ROUTES)).toBe(TENANTS * ROUTES);
      await server.flush();
      const after = await server.measure();
      const records = (TENANTS + 1) * ROUTES;

      // Totals exact per status (routes 0, 5, …, 60 answer 500), nothing dropped, nothing in a label-less series.
      expect(after.stats.ring.dropped).toBe(0);
      expect(total(receiver.points, 'http_requests_total', { status_code: 500 })).toBe((TENANTS + 1) * 13);
      expect(total(receiver.points, 'http_requests_total', { status_code: 200 })).toBe((TENANTS + 1) * (ROUTES - 13));
      expect(pointsNamed(receiver.points, 'http_requests_total').every((p) => typeof p.attributes.tenant_id === 'string')).toBe(true);
      expect(total(receiver.points, 'ringmeter.series.overflowed')).toBe(0);
      const memory = after.stats.memory;
      expect(memory.tenants + memory.foldedTenants).toBe(TENANTS);
      expect(memory.foldedTenants).toBeGreaterThan(0);
      expect(total(receiver.points, 'http_requests_total', { tenant_id: '__overflow__' })).toBe(memory.foldedRecords);

      // Analytics: a profile for each tenant with state of its own and one for __overflow__ (every record of a
      // folded tenant); each tenant's endpoint cells, its overflow cell included, add up to its requests and its hour.
      const tenants = (await server.analytics()).flatMap((shard) => shard.tenants);
      expect(tenants).toHaveLength(memory.tenants + 1);
      expect(tenants.reduce((sum, tenant) => sum + tenant.requests, 0)).toBe(records);
      const overflow = tenants.find((tenant) => tenant.tenant === '__overflow__');
      expect(overflow?.requests).toBe(memory.foldedTenants * ROUTES);
      for (const tenant of tenants) {
        if (tenant.tenant !== '__overflow__') expect(tenant.requests).toBe(tenant.tenant === 'grid-0' ? 2 * ROUTES : ROUTES);
        expect(tenant.endpoints.length).toBeLessThanOrEqual(ROUTES + 1);
        expect(tenant.endpoints.reduce((sum, cell) => sum + cell.requests, 0)).toBe(tenant.requests);
        expect(tenant.endpoints.reduce((sum, cell) => sum + cell.requestsLastHour, 0)).toBe(tenant.requestsLastHour);
      }

      console.log(
        JSON.stringify({
          gridRssMiB: mib(after.main.rss - before.main.rss),
          gridWorkerHeapsMiB: mib(workerHeaps(after) - workerHeaps(before)),
          gridMainHeapsMiB: mib(mainHeaps(after) - mainHeaps(before)),
          budgetMiB: mib(after.workers.reduce((sum, w) => sum + w.budgetUsedBytes, 0)),
          tenants: memory.tenants,
        }),
      );
      expect(workerHeaps(after) - workerHeaps(before)).toBeLessThanOrEqual(DEFAULT_OPTIONS.maxMemoryBytes);
      expect(mainHeaps(after) - mainHeaps(before)).toBeLessThanOrEqual(MAIN_THREAD_TENANTS_BYTES);
      for (const worker of after.workers) expect(worker.budgetUsedBytes).toBeLessThanOrEqual(worker.budgetLimitBytes + FORCED_BYTES);
      expect(after.main.rss - before.main.rss).toBeLessThanOrEqual(DEFAULT_OPTIONS.maxMemoryBytes + RSS_OVERHEAD_BYTES);
    } finally {
      await server.stop();
      await receiver.stop();
    }
  }, 120_000);
});
