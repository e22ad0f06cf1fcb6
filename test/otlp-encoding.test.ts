import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS, type MetricDefinition } from '../dist/src/contract/metrics.js';
import { ExponentialHistogramStore, type ExponentialPointView } from '../dist/workers/aggregation/exponential-histogram-store.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';
import { AttributeKey, EncodedAttribute } from '../dist/workers/export/otlp/attributes.js';
import { JsonMetricsWriter } from '../dist/workers/export/otlp/json-writer.js';
import { type MetricsWriter, type WriterIdentity, wireKindOf } from '../dist/workers/export/otlp/metrics-writer.js';
import { ProtobufMetricsWriter } from '../dist/workers/export/otlp/protobuf-writer.js';
import { decodeExportResponse } from '../dist/workers/export/otlp/response-decoder.js';
import { decodeMetricsRequest, encodeMetricsResponse } from './support/otlp-proto.js';
import { OtlpReceiver } from './support/otlp-receiver.js';

const START = 1_700_000_000_000;
const END = 1_700_000_030_000;
const IDENTITY: WriterIdentity = {
  resource: { 'service.name': 'checkout', 'ringmeter.shard': 1, 'host.arch.bits': 64.5, 'service.canary': true },
  scope: { name: 'ringmeter', version: '0.1.0' },
};
const SUM_DOUBLE: MetricDefinition = {
  name: 'test_ratio_total',
  kind: 'counter',
  unit: '1',
  description: 'A ratio.',
  labels: ['tenant_id'],
};

const attribute = (key: string, value: string | number | boolean) => new EncodedAttribute(key, value);
const requestAttributes = [
  attribute('method', 'GET'),
  attribute('route', '/api/orders/:id'),
  attribute('status_code', '200'),
  attribute('tenant_id', 'acme'),
];
const durationAttributes = [attribute('method', 'GET'), attribute('route', '/api/orders/:id'), attribute('tenant_id', 'acme')];

/** 0, 1 and 2 in a fresh series: 1 and 2 are 2^20 buckets apart at scale 20, so the series settles at scale 7. */
function exponentialPoint(): ExponentialPointView {
  const store = new ExponentialHistogramStore(1, 10, new MemoryBudget(1 << 20), START);
  const series = store.seriesOf(5, 0, 0, START);
  for (const value of [0, 1, 2]) store.record(series, value);
  store.take(series);
  return store.readTaken(series, {} as ExponentialPointView);
}

/** One request with every kind of point ringmeter writes. */
function writeEveryKind(writer: MetricsWriter): Uint8Array {
  writer.beginMetric(METRICS.httpRequests, 'sumInt', 'delta');
  writer.numberPoint(requestAttributes, START, END, 42);
  // A fraction in an integer sum goes out as asDouble rather than rounded.
  writer.numberPoint([attribute('tenant_id', 'globex')], START + 0.5, END, 2.5);
  writer.beginMetric(SUM_DOUBLE, 'sumDouble', 'cumulative');
  writer.numberPoint([attribute('tenant_id', 'acme')], START, END, 0.125);
  writer.beginMetric(METRICS.tenantActivityPattern, 'gauge', 'delta');
  writer.numberPoint([attribute('tenant_id', 'acme'), attribute('pattern', 'steady')], END, END, 1);
  writer.beginMetric(METRICS.httpDuration, 'histogram', 'delta');
  const counts = Uint32Array.from([9, 9, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
  writer.histogramPoint(durationAttributes, START, END, 3, 0.5, 0.001, 0.3, counts, 2, 15);
  writer.beginMetric({ ...METRICS.httpDuration, name: 'http_request_duration_exponential' }, 'exponentialHistogram', 'delta');
  writer.exponentialHistogramPoint(durationAttributes, START, END, exponentialPoint());
  // A metric without points writes nothing.
  writer.beginMetric(METRICS.httpRequestSize, 'histogram', 'delta');
  expect(writer.points).toBe(6);
  return writer.finish();
}

const kv = (key: string, value: Record<string, unknown>) => ({ key, value });
const str = (key: string, value: string) => kv(key, { stringValue: value });
const expectedRequestAttributes = [
  str('method', 'GET'),
  str('route', '/api/orders/:id'),
  str('status_code', '200'),
  str('tenant_id', 'acme'),
];
const expectedDurationAttributes = [str('method', 'GET'), str('route', '/api/orders/:id'), str('tenant_id', 'acme')];

/** The whole request in OTLP/JSON shape: what the official decoder must read from our protobuf, and JSON.parse from our JSON. */
const EXPECTED = {
  resourceMetrics: [
    {
      resource: {
        attributes: [
          str('service.name', 'checkout'),
          kv('ringmeter.shard', { intValue: '1' }),
          kv('host.arch.bits', { doubleValue: 64.5 }),
          kv('service.canary', { boolValue: true }),
        ],
      },
      scopeMetrics: [
        {
          scope: { name: 'ringmeter', version: '0.1.0' },
          metrics: [
            {
              name: 'http_requests_total',
              description: 'HTTP requests served.',
              unit: '{request}',
              sum: {
                dataPoints: [
                  {
                    attributes: expectedRequestAttributes,
                    startTimeUnixNano: '1700000000000000000',
                    timeUnixNano: '1700000030000000000',
                    asInt: '42',
                  },
                  {
                    attributes: [str('tenant_id', 'globex')],
                    startTimeUnixNano: '1700000000000500000',
                    timeUnixNano: '1700000030000000000',
                    asDouble: 2.5,
                  },
                ],
                aggregationTemporality: 1,
                isMonotonic: true,
              },
            },
            {
              name: 'test_ratio_total',
              description: 'A ratio.',
              unit: '1',
              sum: {
                dataPoints: [
                  {
                    attributes: [str('tenant_id', 'acme')],
                    startTimeUnixNano: '1700000000000000000',
                    timeUnixNano: '1700000030000000000',
                    asDouble: 0.125,
                  },
                ],
                aggregationTemporality: 2,
                isMonotonic: true,
              },
            },
            {
              name: 'tenant_activity_pattern',
              description: METRICS.tenantActivityPattern.description,
              unit: '1',
              gauge: {
                dataPoints: [
                  {
                    attributes: [str('tenant_id', 'acme'), str('pattern', 'steady')],
                    startTimeUnixNano: '1700000030000000000',
                    timeUnixNano: '1700000030000000000',
                    asDouble: 1,
                  },
                ],
              },
            },
            {
              name: 'http_request_duration_seconds',
              description: 'Time from request received to response sent.',
              unit: 's',
              histogram: {
                dataPoints: [
                  {
                    attributes: expectedDurationAttributes,
                    startTimeUnixNano: '1700000000000000000',
                    timeUnixNano: '1700000030000000000',
                    count: '3',
                    sum: 0.5,
                    bucketCounts: ['1', '0', '2', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'],
                    explicitBounds: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
                    min: 0.001,
                    max: 0.3,
                  },
                ],
                aggregationTemporality: 1,
              },
            },
            {
              name: 'http_request_duration_exponential',
              description: 'Time from request received to response sent.',
              unit: 's',
              exponentialHistogram: {
                dataPoints: [
                  {
                    attributes: expectedDurationAttributes,
                    startTimeUnixNano: '1700000000000000000',
                    timeUnixNano: '1700000030000000000',
                    count: '3',
                    sum: 3,
                    scale: 7,
                    zeroCount: '1',
                    // 1 is bucket -1 (powers of two close their bucket), 2 is bucket 127 at scale 7: 129 buckets.
                    positive: { offset: -1, bucketCounts: ['1', ...Array(127).fill('0'), '1'] },
                    min: 0,
                    max: 2,
                  },
                ],
                aggregationTemporality: 1,
              },
            },
          ],
        },
      ],
    },
  ],
};

describe('OTLP writers', () => {
  it('protobuf: the official OTLP definitions decode every kind of point to exact values', () => {
    const body = writeEveryKind(new ProtobufMetricsWriter(IDENTITY));
    expect(decodeMetricsRequest(body)).toEqual(EXPECTED);
  });

  it('JSON: the same request, by the OTLP JSON mapping (JSON.parse gives what the official decoder gives for protobuf)', () => {
    const writer = new JsonMetricsWriter(IDENTITY);
    expect(writer.contentType).toBe('application/json');
    const body = writeEveryKind(writer);
    expect(JSON.parse(Buffer.from(body).toString('utf8'))).toEqual(EXPECTED);
  });

  it('64-bit values keep every digit: counts past 2^32, asInt up to 2^53 − 1 and negative, times to the microsecond; bad times are 0', () => {
    for (const writer of [new ProtobufMetricsWriter(IDENTITY), new JsonMetricsWriter(IDENTITY)]) {
      writer.beginMetric(METRICS.httpRequests, 'sumInt', 'delta');
      writer.numberPoint([], 4_102_444_800_000, 4_102_444_800_000.001, Number.MAX_SAFE_INTEGER);
      writer.numberPoint([], 1, 2, -5);
      // A caller's bad time is written as 0 ("unknown"), never as a body the backend would refuse whole.
      writer.numberPoint([], Number.NaN, -1, 7);
      writer.beginMetric(METRICS.httpDuration, 'histogram', 'delta');
      writer.histogramPoint([], 1, 2, 2 ** 40, 1e300, 1e-300, 1e300, new Uint32Array(15).fill(0xffffffff), 0, 15);
      const body = writer.finish();
      const message = writer.format === 'protobuf' ? decodeMetricsRequest(body) : JSON.parse(Buffer.from(body).toString('utf8'));
      const [sum, histogram] = message.resourceMetrics[0].scopeMetrics[0].metrics;
      expect(sum.sum.dataPoints).toEqual([
        { startTimeUnixNano: '4102444800000000000', timeUnixNano: '4102444800000001000', asInt: '9007199254740991' },
        { startTimeUnixNano: '1000000', timeUnixNano: '2000000', asInt: '-5' },
        { startTimeUnixNano: '0', timeUnixNano: '0', asInt: '7' },
      ]);
      const point = histogram.histogram.dataPoints[0];
      expect([point.count, point.sum, point.min, point.max]).toEqual(['1099511627776', 1e300, 1e-300, 1e300]);
      expect(point.bucketCounts).toEqual(Array(15).fill('4294967295'));
    }
  });

  it('cuts batches where the caller finishes: the current metric goes on in the next request, points counted per request', () => {
    for (const writer of [new ProtobufMetricsWriter(IDENTITY), new JsonMetricsWriter(IDENTITY)]) {
      const bodies: Uint8Array[] = [];
      writer.beginMetric(METRICS.httpRequests, 'sumInt', 'delta');
      for (let i = 0; i < 5; i++) {
        writer.numberPoint([attribute('tenant_id', `t${i}`)], START, END, i + 1);
        if (writer.points === 2) bodies.push(writer.finish());
      }
      expect(writer.points).toBe(1);
      bodies.push(writer.finish());
      // Nothing written: an empty request, valid in both encodings.
      const empty = writer.finish();
      const decode = (body: Uint8Array) =>
        writer.format === 'protobuf' ? decodeMetricsRequest(body) : JSON.parse(Buffer.from(body).toString('utf8'));
      expect(decode(empty)).toEqual({});
      const perRequest = bodies.map((body) =>
        decode(body).resourceMetrics[0].scopeMetrics[0].metrics.map((m: any) => [
          m.name,
          m.sum.dataPoints.map((p: any) => [p.attributes[0].value.stringValue, p.asInt]),
        ]),
      );
      expect(perRequest).toEqual([
        [
          [
            'http_requests_total',
            [
              ['t0', '1'],
              ['t1', '2'],
            ],
          ],
        ],
        [
          [
            'http_requests_total',
            [
              ['t2', '3'],
              ['t3', '4'],
            ],
          ],
        ],
        [['http_requests_total', [['t4', '5']]]],
      ]);
    }
  });

  it('10,000 points of two metrics in one protobuf body decode exactly, in order', () => {
    const writer = new ProtobufMetricsWriter(IDENTITY);
    const tenants = new AttributeKey('tenant_id');
    const counts = new Uint32Array(15 * 5_000);
    for (let i = 0; i < counts.length; i++) counts[i] = (i * 7) % 13;
    writer.beginMetric(METRICS.httpRequests, 'sumInt', 'delta');
    for (let s = 0; s < 5_000; s++) writer.numberPoint([tenants.get(s % 500, `tenant-${s % 500}`)], START - s, END, s * 3);
    writer.beginMetric(METRICS.httpDuration, 'histogram', 'delta');
    for (let s = 0; s < 5_000; s++)
      writer.histogramPoint([tenants.get(s % 500, `tenant-${s % 500}`)], START, END, s + 1, s / 8, 0, 1, counts, s * 15, 15);
    expect(tenants.size).toBe(500);
    const [requests, durations] = decodeMetricsRequest(writer.finish()).resourceMetrics[0].scopeMetrics[0].metrics;
    expect(requests.sum.dataPoints).toHaveLength(5_000);
    expect(durations.histogram.dataPoints).toHaveLength(5_000);
    for (let s = 0; s < 5_000; s += 499) {
      const point = requests.sum.dataPoints[s];
      expect([point.attributes[0].value.stringValue, point.startTimeUnixNano, point.asInt ?? '0']).toEqual([
        `tenant-${s % 500}`,
        `${START - s}000000`,
        String(s * 3),
      ]);
      const histogram = durations.histogram.dataPoints[s];
      expect([histogram.count, histogram.sum]).toEqual([String(s + 1), s / 8]);
      expect(histogram.bucketCounts).toEqual(Array.from(counts.subarray(s * 15, s * 15 + 15), String));
    }
  });

  it('protobuf and JSON of the same 600 random points decode to the same message, escapes and non-ASCII labels included', () => {
    let state = 12_345;
    const random = () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
    const tenants = ['acme', 'ünïcødé "quoted" \\ back\nslash', '🚀 rocket', 'tab\there', ''];
    const counts = new Uint32Array(15);
    // The same seed and a fresh store for each encoding: both write exactly the same points.
    const write = (writer: MetricsWriter) => {
      state = 12_345;
      const histograms = new ExponentialHistogramStore(1, 1_000, new MemoryBudget(1 << 24), START);
      writer.beginMetric(METRICS.tenantDataProcessed, 'sumInt', 'delta');
      for (let i = 0; i < 200; i++)
        writer.numberPoint([attribute('tenant_id', tenants[i % 5])], START - i * 1_000.25, END, random() < 0.5 ? i : random() * 1e6);
      writer.beginMetric(METRICS.httpDuration, 'histogram', 'delta');
      for (let i = 0; i < 200; i++) {
        for (let b = 0; b < 15; b++) counts[b] = Math.floor(random() * 3);
        writer.histogramPoint([attribute('tenant_id', tenants[i % 5])], START, END, i, random(), random(), 1 + random(), counts, 0, 15);
      }
      writer.beginMetric(METRICS.httpDuration, 'exponentialHistogram', 'delta');
      for (let i = 0; i < 200; i++) {
        const series = histograms.seriesOf(i + 1, 0, 0, START);
        for (let v = 0; v < i % 50; v++) histograms.record(series, random() < 0.1 ? 0 : 10 ** (random() * 8 - 5));
        if (!histograms.take(series)) continue;
        writer.exponentialHistogramPoint(
          [attribute('tenant_id', tenants[i % 5])],
          START,
          END,
          histograms.readTaken(series, {} as ExponentialPointView),
        );
        histograms.abort(series);
      }
      return writer.finish();
    };
    const fromProtobuf = decodeMetricsRequest(write(new ProtobufMetricsWriter(IDENTITY)));
    const fromJson = JSON.parse(Buffer.from(write(new JsonMetricsWriter(IDENTITY))).toString('utf8'));
    expect(fromJson).toEqual(fromProtobuf);
    const metrics = fromProtobuf.resourceMetrics[0].scopeMetrics[0].metrics;
    expect(metrics.map((m: any) => (m.sum ?? m.histogram ?? m.exponentialHistogram).dataPoints.length)).toEqual([200, 200, 196]);
    expect(metrics[0].sum.dataPoints[1].attributes[0].value.stringValue).toBe('ünïcødé "quoted" \\ back\nslash');
  });

  it('refuses a histogram point whose bucket counts do not match the metric, naming the metric', () => {
    for (const writer of [new ProtobufMetricsWriter(IDENTITY), new JsonMetricsWriter(IDENTITY)]) {
      writer.beginMetric(METRICS.httpDuration, 'histogram', 'delta');
      expect(() => writer.histogramPoint([], START, END, 1, 1, 1, 1, new Uint32Array(10), 0, 10)).toThrow(
        'http_request_duration_seconds: 10 bucket counts for 14 boundaries (expected 15)',
      );
      expect(() => new ProtobufMetricsWriter(IDENTITY).numberPoint([], START, END, 1)).toThrow('before any beginMetric');
    }
  });

  it('wireKindOf gives each definition the kind the current export path gives it, histograms exponential on request', () => {
    expect([
      wireKindOf(METRICS.httpRequests, false),
      wireKindOf(SUM_DOUBLE, false),
      wireKindOf(METRICS.tenantActivityPattern, true),
      wireKindOf(METRICS.httpDuration, false),
      wireKindOf(METRICS.httpDuration, true),
    ]).toEqual(['sumInt', 'sumDouble', 'gauge', 'histogram', 'exponentialHistogram']);
  });

  it('AttributeKey encodes a label value once per id, and again when the id names another value (a reused tenant slot)', () => {
    const tenants = new AttributeKey('tenant_id');
    const first = tenants.get(1_073_741_824, 'acme');
    expect(tenants.get(1_073_741_824, 'acme')).toBe(first);
    const reused = tenants.get(1_073_741_824, 'globex');
    expect(reused).not.toBe(first);
    expect([reused.key, reused.value, reused.json]).toEqual([
      'tenant_id',
      'globex',
      '{"key":"tenant_id","value":{"stringValue":"globex"}}',
    ]);
  });
});

describe('OTLP export responses', () => {
  it('reads partial success from protobuf (encoded by the official definitions) and from JSON, int64 as string or number', () => {
    const protobuf = encodeMetricsResponse({ partialSuccess: { rejectedDataPoints: 7, errorMessage: 'points out of order' } });
    expect(decodeExportResponse(protobuf, 'application/x-protobuf', 'protobuf')).toEqual({
      rejectedDataPoints: 7,
      errorMessage: 'points out of order',
    });
    const json = (text: string) => new TextEncoder().encode(text);
    expect(
      decodeExportResponse(
        json('{"partialSuccess":{"rejectedDataPoints":"12","errorMessage":"late"}}'),
        'application/json; charset=utf-8',
        'protobuf',
      ),
    ).toEqual({
      rejectedDataPoints: 12,
      errorMessage: 'late',
    });
    expect(decodeExportResponse(json('{"partialSuccess":{"rejectedDataPoints":3},"futureField":1}'), 'application/json', 'json')).toEqual({
      rejectedDataPoints: 3,
      errorMessage: '',
    });
    // Empty body or empty message: full success.
    expect(decodeExportResponse(new Uint8Array(0), 'application/x-protobuf', 'protobuf')).toEqual({
      rejectedDataPoints: 0,
      errorMessage: '',
    });
    expect(decodeExportResponse(encodeMetricsResponse({}), undefined, 'protobuf')).toEqual({ rejectedDataPoints: 0, errorMessage: '' });
    expect(decodeExportResponse(json('{}'), undefined, 'json')).toEqual({ rejectedDataPoints: 0, errorMessage: '' });
  });

  it('skips unknown protobuf fields, and reports a malformed body without rejecting anything', () => {
    const known = encodeMetricsResponse({ partialSuccess: { rejectedDataPoints: 2 } });
    // Field 9 (varint 300) and field 10 (fixed32) before the known field: a newer server's additions.
    const withUnknown = Uint8Array.from([0x48, 0xac, 0x02, 0x55, 1, 2, 3, 4, ...known]);
    expect(decodeExportResponse(withUnknown, 'application/x-protobuf', 'protobuf')).toEqual({ rejectedDataPoints: 2, errorMessage: '' });
    expect(decodeExportResponse(known.subarray(0, known.length - 1), 'application/x-protobuf', 'protobuf')).toEqual({
      rejectedDataPoints: 0,
      errorMessage: '',
      malformed: 'unreadable protobuf response body: length 2 runs past the end of the body',
    });
    const html = new TextEncoder().encode('<html>bad gateway</html>');
    expect(decodeExportResponse(html, 'application/json', 'json').malformed).toMatch(/^unreadable json response body: /);
    expect(
      decodeExportResponse(new TextEncoder().encode('{"partialSuccess":{"rejectedDataPoints":"x"}}'), 'application/json', 'json'),
    ).toEqual({
      rejectedDataPoints: 0,
      errorMessage: '',
      malformed: 'unreadable json response body: partialSuccess.rejectedDataPoints is not an integer',
    });
  });
});

describe('the test receiver', () => {
  const receiver = new OtlpReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  it('decodes by Content-Type: gzip protobuf with the official definitions, JSON as JSON, to the same points', async () => {
    for (const writer of [new ProtobufMetricsWriter(IDENTITY), new JsonMetricsWriter(IDENTITY)]) {
      const body = writeEveryKind(writer);
      const response = await fetch(receiver.url, {
        method: 'POST',
        headers: { 'content-type': writer.contentType, 'content-encoding': 'gzip' },
        body: gzipSync(body),
      });
      expect(response.status).toBe(200);
    }
    const [fromProtobuf, fromJson] = receiver.requests;
    expect(fromProtobuf.headers['content-type']).toBe('application/x-protobuf');
    expect(fromProtobuf.points).toEqual(fromJson.points);
    expect(fromProtobuf.resource).toEqual({
      'service.name': 'checkout',
      'ringmeter.shard': 1,
      'host.arch.bits': 64.5,
      'service.canary': true,
    });
    const exponential = fromProtobuf.points.find((point) => point.type === 'exponentialHistogram');
    expect(exponential).toMatchObject({
      metric: 'http_request_duration_exponential',
      temporality: 1,
      count: 3,
      sum: 3,
      min: 0,
      max: 2,
      scale: 7,
      zeroCount: 1,
      positiveOffset: -1,
      attributes: { method: 'GET', route: '/api/orders/:id', tenant_id: 'acme' },
    });
    expect(exponential?.positiveBucketCounts).toEqual([1, ...Array(127).fill(0), 1]);
  });
});
