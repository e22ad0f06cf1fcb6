import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { LABEL_LIMITS } from 'ringmeter';
import { honoMetrics } from 'ringmeter/hono';
import { pointsNamed, startPipeline, total } from './support/harness.js';

const MB = 1024 * 1024;

function heapUsedAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc (test/vitest.config.ts passes it)');
  gc();
  return process.memoryUsage().heapUsed;
}

describe('hostile input', () => {
  it('odd tenant ids: 1 MB, NUL, control characters, lone surrogates → invalid; counts kept, nothing crosses whole', async () => {
    const { collector, receiver } = await startPipeline();
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.get('/t', (c) => c.text('ok'));
    const hostile = ['x'.repeat(MB), 'nul\u0000byte', 'bell\u0007', 'del\u007f', 'c1\u009b[31m', 'lone\ud800', 'lone\udfff', '\ud83d'];
    // What an HTTP header can carry at all (no NUL, no non-Latin-1): the oversized ones.
    const headerHostile = ['x'.repeat(MB), 'y'.repeat(LABEL_LIMITS.tenantId + 1), 'ÿ'.repeat(LABEL_LIMITS.tenantId + 1)];
    try {
      for (const tenantId of hostile)
        collector.recordHttp({ method: 'GET', route: '/direct', statusCode: 200, tenantId, durationSeconds: 0.001 });
      for (const tenantId of headerHostile) {
        const response = await app.request('/t', { headers: { 'x-tenant-id': tenantId } });
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('ok');
      }
      await collector.flush();
      expect(total(receiver.points, 'http_requests_total', { tenant_id: 'invalid' })).toBe(hostile.length + headerHostile.length);
      expect(total(receiver.points, 'http_requests_total')).toBe(hostile.length + headerHostile.length);
      const everything = JSON.stringify(receiver.requests.map((request) => request.points.map((point) => point.attributes)));
      expect(everything.length).toBeLessThan(200_000);
      expect(everything).not.toContain(
        'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      );
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('1,000,000 distinct tenants: 10,000 slots, state for those the memory bound holds, the rest under __overflow__, totals exact, memory bounded', async () => {
    const { collector, receiver } = await startPipeline({ maxTenants: 10_000 });
    try {
      const before = heapUsedAfterGc();
      const capacity = collector.stats().ring.capacity;
      for (let i = 0; i < 1_000_000; i++) {
        collector.recordTenantResource({ tenantId: `tenant-${i}-${'z'.repeat(i % 50)}`, resourceType: 'api', usage: 1, dataType: 'calls' });
        if (i % (capacity / 4) === 0)
          while (collector.stats().ring.used > capacity / 4) await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const growth = heapUsedAfterGc() - before;
      await collector.flush();
      expect(collector.stats().ring.dropped).toBe(0);
      const usage = pointsNamed(receiver.points, 'tenant_resource_usage_total');
      // The main thread keeps 10,000 ids (maxTenants); the worker gives state of its own to each tenant its memory
      // bound holds and folds the others into __overflow__ (one record each here), counted.
      const { memory } = collector.stats();
      expect(memory.tenants + memory.foldedTenants).toBe(10_000);
      expect(memory.foldedRecords).toBe(memory.foldedTenants);
      expect(usage).toHaveLength(memory.tenants + 1);
      expect(usage.find((p) => p.attributes.tenant_id === '__overflow__')?.value).toBe(990_000 + memory.foldedTenants);
      expect(total(receiver.points, 'tenant_resource_usage_total')).toBe(1_000_000);
      // The interner keeps 10,000 ids (≈100 B each); the other 990,000 strings are garbage.
      expect(growth).toBeLessThan(16 * MB);
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  }, 60_000);

  it('1 MB routes and SQL texts, NaN, Infinity, negative durations, sizes beyond 2^32: labelled, cut, refused or kept', async () => {
    const { collector, receiver } = await startPipeline();
    try {
      const base = { method: 'GET', statusCode: 200, tenantId: 'acme' };
      collector.recordHttp({ ...base, route: '/'.repeat(MB), durationSeconds: 0.01 });
      collector.recordHttp({ ...base, route: '/big', durationSeconds: 0.01, requestBytes: 5 * 2 ** 32 + 7, responseBytes: 2 ** 33 });
      for (const durationSeconds of [NaN, Infinity, -Infinity, -0.001]) collector.recordHttp({ ...base, route: '/bad', durationSeconds });
      collector.recordQuery({
        sql: `select * from "orders" where id in (${'1,'.repeat(MB / 2)}1)`,
        tenantId: 'acme',
        durationSeconds: 0.002,
      });
      collector.recordQuery({ sql: `update "users" set x = 1 ${' '.repeat(MB)}`, tenantId: 'acme', durationSeconds: 0.002 });
      await collector.flush();
      expect(total(receiver.points, 'http_requests_total', { route: 'invalid' })).toBe(1);
      const requestSizes = pointsNamed(receiver.points, 'http_request_size_bytes').find((p) => p.attributes.route === '/big');
      expect(requestSizes?.sum).toBe(5 * 2 ** 32 + 7);
      expect(total(receiver.points, 'tenant_data_processed_bytes', { data_type: 'response' })).toBe(2 ** 33);
      expect(collector.stats().rejected).toBe(4);
      expect(total(receiver.points, 'ringmeter.records.rejected')).toBe(4);
      const queries = pointsNamed(receiver.points, 'db_query_duration_seconds').map((p) => [p.attributes.query_type, p.attributes.table]);
      expect(queries).toEqual(
        expect.arrayContaining([
          ['SELECT', 'orders'],
          ['UPDATE', 'users'],
        ]),
      );
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });
});
