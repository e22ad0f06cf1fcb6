import { describe, expect, it } from 'vitest';
import { VALUE_LIMITS } from 'ringmeter';
import { internals } from 'ringmeter/internal';
import { pointsNamed, startPipeline, total } from './support/harness.js';

/** Every number a Prometheus sample line ends with; `le="+Inf"` is a label, never a value. */
function sampleValues(text: string): number[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}

describe('implausible finite values', () => {
  it('two durations of 1e308 are refused and counted; every series stays finite, in OTLP and in Prometheus text', async () => {
    const { collector, receiver } = await startPipeline();
    const hooks = internals(collector);
    try {
      const http = { method: 'GET', route: '/orders', statusCode: 200 };
      // The two records: before, http_request_duration_seconds_sum went to +Inf and tenant_cost_share to NaN.
      collector.recordHttp({ ...http, tenantId: 'acme', durationSeconds: 1e308 });
      collector.recordHttp({ ...http, tenantId: 'acme', durationSeconds: 1e308 });
      collector.recordHttp({ ...http, tenantId: 'acme', durationSeconds: VALUE_LIMITS.durationSeconds + 0.001 });
      collector.recordQuery({ sql: 'select * from orders', tenantId: 'acme', durationSeconds: 1e308 });
      collector.recordTenantResource({ tenantId: 'acme', resourceType: 'storage', usage: 1e308 });
      collector.recordTenantResource({ tenantId: 'acme', resourceType: 'storage', usage: Number.MAX_SAFE_INTEGER + 1 });
      // The limits themselves are plausible.
      collector.recordHttp({ ...http, tenantId: 'acme', durationSeconds: VALUE_LIMITS.durationSeconds });
      collector.recordHttp({ ...http, tenantId: 'acme', durationSeconds: 0.5 });
      collector.recordHttp({ ...http, tenantId: 'globex', durationSeconds: 0.25 });
      collector.recordQuery({ sql: 'select * from orders', tenantId: 'acme', durationSeconds: 0.002 });
      collector.recordTenantResource({ tenantId: 'acme', resourceType: 'storage', usage: Number.MAX_SAFE_INTEGER, dataType: 'bytes' });
      // A hook's fast path has no such check: the worker skips what the API would have refused (defence in depth).
      hooks.writer.writeHttp(1, 200, hooks.labels.endpoints.intern('/orders'), hooks.labels.tenantId('acme', 'test'), 1e308, 0, 0);

      expect(collector.stats().rejectedBy).toEqual({
        'recordHttp.durationSeconds': 3,
        'recordQuery.durationSeconds': 1,
        'recordTenantResource.usage': 2,
      });
      expect(collector.stats().rejected).toBe(6);
      await collector.flush();

      const points = receiver.points;
      expect(total(points, 'ringmeter.records.rejected', { reason: 'invalid_value' })).toBe(6);
      expect(total(points, 'ringmeter.records.dropped', { reason: 'undecodable' })).toBe(1);
      for (const point of points) {
        for (const value of [point.value, point.sum, point.min, point.max]) {
          if (value !== undefined) expect(Number.isFinite(value), `${point.metric} ${JSON.stringify(point.attributes)}`).toBe(true);
        }
      }
      const durations = pointsNamed(points, 'http_request_duration_seconds');
      expect(durations.map((p) => [p.attributes.tenant_id, p.count, p.sum, p.max])).toEqual(
        expect.arrayContaining([
          ['acme', 2, 86_400.5, 86_400],
          ['globex', 1, 0.25, 0.25],
        ]),
      );
      expect(durations).toHaveLength(2);
      const shares = pointsNamed(points, 'tenant_cost_share').filter((p) => p.attributes.resource === 'request_time');
      expect(Object.fromEntries(shares.map((p) => [p.attributes.tenant_id, p.value]))).toEqual({
        acme: 86_400.5 / 86_400.75,
        globex: 0.25 / 86_400.75,
      });
      const average = pointsNamed(points, 'tenant_avg_response_time_seconds').find((p) => p.attributes.tenant_id === 'acme');
      expect(average?.value).toBe(86_400.5 / 2);
      expect(total(points, 'tenant_resource_usage_total', { tenant_id: 'acme' })).toBe(Number.MAX_SAFE_INTEGER);

      const text = await hooks.reads.renderMetrics('prometheus', 5_000);
      const values = sampleValues(text);
      expect(values.length).toBeGreaterThan(0);
      expect(values.every(Number.isFinite)).toBe(true);
      expect(text).toContain('http_request_duration_seconds_sum{method="GET",route="/orders",tenant_id="acme"} 86400.5');
      // The analytics answer (latency sketches, sums, shares) too.
      const [shard] = await hooks.reads.analytics({ all: true }, 5_000);
      const acme = shard.tenants.find((tenant) => tenant.tenant === 'acme');
      expect(acme?.durationSumSeconds).toBe(86_400.5);
      expect(acme?.latency.sum).toBe(86_400.5);
      expect(acme?.costShare?.request_time).toBe(86_400.5 / 86_400.75);
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });
});
