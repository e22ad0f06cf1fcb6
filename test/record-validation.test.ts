import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import type { OtlpReceiver } from './support/otlp-receiver.js';
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
      { ...good, tenantId: 42 },
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
    expect(collector.stats().ring.written).toBe(0);

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
