import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { pointsNamed, startPipeline, total } from './support/harness.js';

describe('flush windows (delta temporality)', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('exports only what came after the previous flush, starting where the previous export ended', async () => {
    ({ collector, receiver } = await startPipeline());
    const request = (tenantId: string, durationSeconds: number) =>
      collector.recordHttp({
        method: 'GET',
        route: '/orders/:id',
        statusCode: 200,
        tenantId,
        durationSeconds,
        requestBytes: 10,
        responseBytes: 20,
      });

    for (let i = 0; i < 7; i++) request('acme', 0.02);
    request('globex', 0.3);
    await collector.flush();
    const first = receiver.points;
    receiver.clear();

    for (let i = 0; i < 3; i++) request('acme', 2);
    await collector.flush();
    const second = receiver.points;

    expect(total(first, 'http_requests_total', { tenant_id: 'acme' })).toBe(7);
    expect(total(first, 'http_requests_total', { tenant_id: 'globex' })).toBe(1);
    expect(total(second, 'http_requests_total', { tenant_id: 'acme' })).toBe(3);
    // globex had nothing new: a delta exporter sends no point for it.
    expect(pointsNamed(second, 'http_requests_total').filter((p) => p.attributes.tenant_id === 'globex')).toEqual([]);

    const [firstHistogram] = pointsNamed(first, 'http_request_duration_seconds').filter((p) => p.attributes.tenant_id === 'acme');
    const [secondHistogram] = pointsNamed(second, 'http_request_duration_seconds').filter((p) => p.attributes.tenant_id === 'acme');
    expect(firstHistogram.bucketCounts).toEqual([0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(secondHistogram.bucketCounts).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 * 3, 0, 0, 0, 0]);
    expect(secondHistogram.min).toBe(2);
    expect(secondHistogram.max).toBe(2);
    expect(secondHistogram.sum).toBe(6);

    // The second window starts exactly where the first ended.
    expect(secondHistogram.startTimeUnixNano).toBe(firstHistogram.timeUnixNano);
    expect(secondHistogram.timeUnixNano).toBeGreaterThan(secondHistogram.startTimeUnixNano);
    const [secondCounter] = pointsNamed(second, 'http_requests_total');
    const [firstCounter] = pointsNamed(first, 'http_requests_total').filter((p) => p.attributes.tenant_id === 'acme');
    expect(secondCounter.startTimeUnixNano).toBe(firstCounter.timeUnixNano);
  });

  it('resolves a flush with nothing recorded', async () => {
    ({ collector, receiver } = await startPipeline());
    await collector.flush();
    expect(total(receiver.points, 'ringmeter.records.written')).toBe(0);
  });
});
