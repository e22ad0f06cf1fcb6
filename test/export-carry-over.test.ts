import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { pointsNamed, startPipeline, total } from './support/harness.js';

describe('an export that fails', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown().catch(() => {});
    await receiver.stop();
  });

  it('is carried into the next export: the receiver down once, then up, gets both intervals with exact totals', async () => {
    ({ collector, receiver } = await startPipeline({ otlp: { timeoutMillis: 500 } }));
    const port = Number(new URL(receiver.url).port);
    const record = (n: number, tenantId: string, durationSeconds: number) => {
      for (let i = 0; i < n; i++) {
        collector.recordHttp({
          method: 'GET',
          route: '/items',
          statusCode: 200,
          tenantId,
          durationSeconds,
          requestBytes: 100,
          responseBytes: 1000,
        });
      }
    };

    await receiver.stop();
    record(40, 'acme', 0.01);
    record(2, 'globex', 0.5);
    await expect(collector.flush()).rejects.toThrow(/export failed: .*ECONNREFUSED/);
    const afterFailure = collector.stats();
    expect(afterFailure.export.failed).toBeGreaterThanOrEqual(1);
    expect(afterFailure.export.succeeded).toBe(0);
    expect(afterFailure.export.lastError).toMatch(/ECONNREFUSED/);

    receiver = await new OtlpReceiver().start(port);
    record(5, 'acme', 3);
    await collector.flush();

    const points = receiver.points;
    expect(total(points, 'http_requests_total', { tenant_id: 'acme' })).toBe(45);
    expect(total(points, 'http_requests_total', { tenant_id: 'globex' })).toBe(2);
    const [acme] = pointsNamed(points, 'http_request_duration_seconds').filter((p) => p.attributes.tenant_id === 'acme');
    expect(acme.count).toBe(45);
    expect(acme.bucketCounts).toEqual([0, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0]);
    expect(acme.min).toBe(0.01);
    expect(acme.max).toBe(3);
    expect(acme.sum).toBeCloseTo(40 * 0.01 + 15, 12);
    expect(total(points, 'tenant_data_processed_bytes', { tenant_id: 'acme', data_type: 'response' })).toBe(45_000);
    expect(total(points, 'ringmeter.records.written')).toBe(47);
    // The failed attempt is reported under the OpenTelemetry exporter self-metric, with its error type.
    expect(total(points, 'otel.sdk.exporter.metric_data_point.exported', { 'error.type': 'ECONNREFUSED' })).toBeGreaterThan(0);
    expect(collector.stats().export.succeeded).toBeGreaterThanOrEqual(1);
  });
});
