import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collector, createCollector } from 'ringmeter';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { internals } from 'ringmeter/internal';
import { startPipeline, total } from './support/harness.js';

describe('record methods with bad values', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
  });
  afterAll(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('never throw, count each refusal as rejected, and record nothing for it', async () => {
    const good = { method: 'GET', route: '/a', statusCode: 200, tenantId: 't', durationSeconds: 0.1 };
    const bad: unknown[] = [
      { ...good, durationSeconds: NaN },
      { ...good, durationSeconds: -1 },
      { ...good, durationSeconds: Infinity },
      { ...good, durationSeconds: '0.1' },
      { ...good, statusCode: 99 },
      { ...good, statusCode: 200.5 },
      { ...good, method: undefined },
      { ...good, route: 42 },
      { ...good, requestBytes: -5 },
      { ...good, responseBytes: NaN },
      null,
      'GET /a',
      {
        get method() {
          throw new Error('getter');
        },
      },
    ];
    for (const record of bad) expect(() => collector.recordHttp(record as never)).not.toThrow();
    const badQueries: unknown[] = [
      { sql: 'select 1', durationSeconds: -0.5 },
      { sql: 'select 1', durationSeconds: 0.1, success: 'yes' },
      { queryType: 'MERGE', durationSeconds: 0.1 },
      { queryType: 'SELECT', table: 5, durationSeconds: 0.1 },
      undefined,
    ];
    for (const record of badQueries) expect(() => collector.recordQuery(record as never)).not.toThrow();
    expect(() => collector.recordTransaction({ status: 'abort' } as never)).not.toThrow();
    expect(() => collector.recordTenantResource({ tenantId: 't', resourceType: 'cpu', usage: -1 })).not.toThrow();
    expect(() => collector.recordTenantResource({ tenantId: 't', resourceType: 7, usage: 1 } as never)).not.toThrow();

    const rejected = bad.length + badQueries.length + 3;
    expect(collector.stats().rejected).toBe(rejected);
    // Each refusal names the call and the field that was wrong (`.record`: null, undefined or a throwing getter).
    expect(collector.stats().rejectedBy).toEqual({
      'recordHttp.durationSeconds': 4,
      'recordHttp.statusCode': 2,
      'recordHttp.method': 2,
      'recordHttp.route': 1,
      'recordHttp.requestBytes': 1,
      'recordHttp.responseBytes': 1,
      'recordHttp.record': 2,
      'recordQuery.durationSeconds': 1,
      'recordQuery.success': 1,
      'recordQuery.queryType': 1,
      'recordQuery.table': 1,
      'recordQuery.record': 1,
      'recordTransaction.status': 1,
      'recordTenantResource.usage': 1,
      'recordTenantResource.resourceType': 1,
    });
    expect(collector.stats().ring.written).toBe(0);
    // Every call refused: well past the share that degrades health(), which says which fields.
    expect(collector.health().reasons.join('\n')).toContain(
      `${rejected} of ${rejected} record calls in the last 0 s were refused for invalid values (100.0 %; most: recordHttp.durationSeconds ×4`,
    );

    collector.recordHttp(good);
    collector.recordHttp({ ...good, requestBytes: 2 ** 40, responseBytes: 1e300 });
    collector.recordHttp({ ...good, method: 'BREW', tenantId: null });
    await collector.flush();
    expect(total(receiver.points, 'ringmeter.records.rejected', { reason: 'invalid_value' })).toBe(rejected);
    expect(total(receiver.points, 'http_requests_total')).toBe(3);
    expect(total(receiver.points, 'http_requests_total', { method: '_OTHER', tenant_id: 'unknown' })).toBe(1);
    expect(total(receiver.points, 'tenant_data_processed_bytes', { data_type: 'request' })).toBe(2 ** 40);
    // Byte counts saturate at 2^48 - 1 rather than wrap.
    expect(total(receiver.points, 'tenant_data_processed_bytes', { data_type: 'response' })).toBe(2 ** 48 - 1);
  });
});

describe('health() and refusals', () => {
  it('stays ok for an occasional refused value, degrades past 1 % of calls, and names a hook that failed', async () => {
    const { collector, receiver } = await startPipeline();
    try {
      for (let i = 0; i < 2_000; i++) {
        collector.recordHttp({ method: 'GET', route: '/a', statusCode: 200, tenantId: 't', durationSeconds: 0.01 });
      }
      for (let i = 0; i < 15; i++) collector.recordHttp({ method: 'GET', route: '/a', statusCode: 200, durationSeconds: -1 });
      // 15 of 2,015 calls (0.7 %): the application's occasional bad value, not an outage.
      expect(collector.health()).toMatchObject({ status: 'ok', reasons: [] });
      for (let i = 0; i < 10; i++) collector.recordHttp({ method: 'GET', route: '/a', statusCode: 200, durationSeconds: -1 });
      // 25 of 2,025 (1.2 %).
      expect(collector.health().status).toBe('degraded');
      expect(collector.health().reasons).toEqual([
        '25 of 2025 record calls in the last 0 s were refused for invalid values (1.2 %; most: recordHttp.durationSeconds ×25)',
      ]);

      internals(collector).writer.hookFailed('honoMetrics', new Error('boom'));
      expect(collector.stats().hookFailures).toEqual({ honoMetrics: 1 });
      expect(collector.health().reasons[0]).toBe("ringmeter's own hooks failed to record (1 in total; last: honoMetrics: boom)");
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });
});

describe('test hooks', () => {
  it('are off in a collector made by createCollector: a hook call rejects, naming the way to turn them on', async () => {
    const collector = createCollector({
      env: {},
      metrics: { runtime: false },
      otlp: { endpoint: 'http://127.0.0.1:9', timeoutMillis: 50 },
    });
    try {
      await expect(internals(collector).testHooks.pauseWorkers(true)).rejects.toThrow(
        'ringmeter: test hooks are off; make the collector with createTestCollector (ringmeter/internal)',
      );
    } finally {
      await collector.shutdown().catch(() => {});
    }
  });
});
