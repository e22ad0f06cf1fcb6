import { describe, expect, it } from 'vitest';
import { type Collector, createCollector } from 'ringmeter';
import { resolveOptions } from 'ringmeter/internal';
import { pointsNamed, pipelinesClosedAfterEach, total, valuesByLabels } from './support/harness.js';
import { encodeMetricsResponse } from './support/otlp-proto.js';

/** 30 requests of acme (GET /items 200, 10 ms) and 4 of globex (POST /orders 503, 2 s): exact totals to expect. */
function record(collector: Collector): void {
  for (let i = 0; i < 30; i++)
    collector.recordHttp({
      method: 'GET',
      route: '/items',
      statusCode: 200,
      tenantId: 'acme',
      durationSeconds: 0.01,
      requestBytes: 100,
      responseBytes: 1_000,
    });
  for (let i = 0; i < 4; i++)
    collector.recordHttp({
      method: 'POST',
      route: '/orders',
      statusCode: 503,
      tenantId: 'globex',
      durationSeconds: 2,
      requestBytes: 50,
      responseBytes: 7,
    });
}

describe('otlp.protocol', () => {
  const startPipeline = pipelinesClosedAfterEach();

  for (const [protocol, contentType] of [
    ['http/protobuf', 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ] as const) {
    it(`${protocol}: the receiver decodes (${contentType}, official definitions for protobuf) exact totals`, async () => {
      const { collector, receiver } = await startPipeline({ otlp: { protocol } });
      record(collector);
      await collector.flush();
      expect(receiver.accepted.length).toBeGreaterThan(0);
      for (const request of receiver.accepted) {
        expect(request.headers['content-type']).toBe(contentType);
        expect(request.headers['content-encoding']).toBe('gzip');
      }
      const points = receiver.points;
      expect(valuesByLabels(points, 'http_requests_total')).toEqual({
        'method=GET,route=/items,status_code=200,tenant_id=acme': 30,
        'method=POST,route=/orders,status_code=503,tenant_id=globex': 4,
      });
      const requests = pointsNamed(points, 'http_requests_total');
      // Monotonic delta sums of integers (AggregationTemporality DELTA = 1).
      expect(requests.every((p) => p.type === 'sum' && p.isMonotonic === true && p.temporality === 1)).toBe(true);
      const [acme] = pointsNamed(points, 'http_request_duration_seconds').filter((p) => p.attributes.tenant_id === 'acme');
      expect(acme.type).toBe('histogram');
      expect(acme.count).toBe(30);
      expect(acme.bucketCounts).toEqual([0, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(acme.sum).toBeCloseTo(0.3, 12);
      expect([acme.min, acme.max]).toEqual([0.01, 0.01]);
      const [globex] = pointsNamed(points, 'http_request_duration_seconds').filter((p) => p.attributes.tenant_id === 'globex');
      expect(globex.count).toBe(4);
      expect(globex.sum).toBe(8);
      expect(acme.explicitBounds).toEqual(globex.explicitBounds);
      expect(total(points, 'tenant_data_processed_bytes', { tenant_id: 'acme', data_type: 'response' })).toBe(30_000);
      expect(total(points, 'tenant_data_processed_bytes', { tenant_id: 'globex', data_type: 'request' })).toBe(200);
      expect(total(points, 'ringmeter.records.written')).toBe(34);
      expect(receiver.accepted[0].resource['service.name']).toBe('ringmeter-test');
    });
  }

  it('http/protobuf: a protobuf partial success in the response is decoded: the refused points are counted, never resent', async () => {
    const { collector, receiver } = await startPipeline({ otlp: { protocol: 'http/protobuf' } });
    receiver.respond = () => ({
      status: 200,
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeMetricsResponse({ partialSuccess: { rejectedDataPoints: 3, errorMessage: 'three too old' } }),
    });
    record(collector);
    await expect(collector.flush()).rejects.toThrow(/rejected 3 data points: three too old/);
    expect(collector.stats().export.rejectedDataPoints).toBe(3);
    expect(receiver.requests.length).toBe(1);
  });

  it('http/protobuf: a 503 with Retry-After keeps the data, and the next export carries it', async () => {
    // A Retry-After (2 s) longer than the export's deadline (1.5 s), which leaves the 503 1.5 s to arrive: a 300 ms
    // deadline under a 1 s Retry-After ran out before the answer at a load average of 23.
    const { collector, receiver } = await startPipeline({ otlp: { protocol: 'http/protobuf', timeoutMillis: 1_500 } });
    receiver.respond = (_request, index) =>
      index === 0 ? { status: 503, headers: { 'retry-after': '2' }, body: '' } : { status: 200, body: '' };
    record(collector);
    await expect(collector.flush()).rejects.toThrow(/asked to retry after|HTTP 503/);
    await collector.flush({ timeoutMillis: 5_000 });
    expect(total(receiver.points, 'http_requests_total')).toBe(34);
  });

  it('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL wins over OTEL_EXPORTER_OTLP_PROTOCOL, the option over both; http/protobuf by default', () => {
    expect(resolveOptions({ env: {} }).otlp.protocol).toBe('http/protobuf');
    expect(resolveOptions({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } }).otlp.protocol).toBe('http/json');
    const both = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' };
    expect(resolveOptions({ env: both }).otlp.protocol).toBe('http/protobuf');
    // The signal-specific variable wins even when the general one holds a value that would be refused.
    expect(
      resolveOptions({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' } }).otlp.protocol,
    ).toBe('http/json');
    expect(resolveOptions({ env: both, otlp: { protocol: 'http/json' } }).otlp.protocol).toBe('http/json');
  });

  it("refuses 'grpc' naming it and the supported values, and any other value by name", () => {
    expect(() => createCollector({ env: {}, otlp: { protocol: 'grpc' as never } })).toThrow(
      new RangeError(
        "options.otlp.protocol 'grpc' is not supported: ringmeter exports OTLP over HTTP only; use 'http/protobuf' or 'http/json'",
      ),
    );
    expect(() => createCollector({ env: { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' } })).toThrow(
      "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL 'grpc' is not supported",
    );
    expect(() => createCollector({ env: {}, otlp: { protocol: 'http/protobuff' as never } })).toThrow(
      new RangeError("options.otlp.protocol must be one of 'http/protobuf', 'http/json' (got \"http/protobuff\")"),
    );
  });
});
