/**
 * CPU per exported data point of turning typed-array series into OTLP request bodies, and of gzipping them: the
 * writers of workers/export/otlp (protobuf and JSON, straight from the typed arrays) against the current path (an SDK
 * DataPoint object per point, then @opentelemetry/otlp-transformer's JsonMetricsSerializer, or its protobuf one).
 * 10,000 and 100,000 series; for each, a counter (4 labels) and an explicit histogram (15 buckets, 3 labels) per
 * series ("counter + histogram": two points per series), or one exponential histogram per series. Batches of 512
 * points, as the worker sends them. Measured as this thread's CPU (schedstat) per data point, encode and gzip apart,
 * median over rounds in a rotated order; gzip at zlib's default level and at level 1 (the level the HTTP transport uses).
 */
import { gzipSync } from 'node:zlib';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { ExponentialPointView } from '../workers/aggregation/exponential-histogram-store.js';
import { AttributeKey, type EncodedAttribute } from '../workers/export/otlp/attributes.js';
import { JsonMetricsWriter } from '../workers/export/otlp/json-writer.js';
import type { MetricsWriter, WriterIdentity } from '../workers/export/otlp/metrics-writer.js';
import { ProtobufMetricsWriter } from '../workers/export/otlp/protobuf-writer.js';
import { BATCH_POINTS, encodeFixture, type EncodeFixture, type Encoder, type Shape } from './lib/encode-fixture.js';
import { sdkEncoder } from './lib/encode-sdk-path.js';
import { median, rotate, round } from './lib/rounds.js';
import { saveSection } from './lib/results.js';
import { threadCpuNanos } from './lib/thread-cpu.js';

const IDENTITY: WriterIdentity = {
  resource: { 'service.name': 'bench-service', 'service.version': '1.0.0', 'telemetry.sdk.name': 'ringmeter' },
  scope: { name: 'ringmeter', version: '0.1.0' },
};

export interface EncodeCase {
  series: number;
  shape: Shape;
  variant: string;
  dataPoints: number;
  encodeNanosPerPoint: number;
  /** gzip at zlib's default level (6), for comparison. */
  gzipNanosPerPoint: number;
  /** gzip at level 1, as the HTTP transport compresses: several times cheaper than level 6, a little larger. */
  gzipFastNanosPerPoint: number;
  totalNanosPerPoint: number;
  /** Min and max of encode + gzip over the rounds. */
  totalRangeNanos: [number, number];
  bodyBytesPerPoint: number;
  gzipBytesPerPoint: number;
  gzipFastBytesPerPoint: number;
}

/** Our writers: attributes from per-key caches by label id, points straight from the columns. */
function writerEncoder(make: () => MetricsWriter): Encoder {
  // Made once and kept, as a worker keeps them from one export to the next.
  const writer = make();
  const keys = {
    method: new AttributeKey('method'),
    route: new AttributeKey('route'),
    status: new AttributeKey('status_code'),
    tenant: new AttributeKey('tenant_id'),
  };
  return (f, shape) => {
    const four: EncodedAttribute[] = new Array(4);
    const three: EncodedAttribute[] = new Array(3);
    const bodies: Uint8Array[] = [];
    const cut = () => {
      if (writer.points >= BATCH_POINTS) bodies.push(writer.finish());
    };
    const labelsOf = (s: number, into: EncodedAttribute[], withStatus: boolean) => {
      into[0] = keys.method.get(f.method[s], f.labels[f.method[s]]);
      into[1] = keys.route.get(f.route[s], f.labels[f.route[s]]);
      if (withStatus) into[2] = keys.status.get(f.status[s], f.labels[f.status[s]]);
      into[withStatus ? 3 : 2] = keys.tenant.get(f.tenant[s], f.labels[f.tenant[s]]);
    };
    if (shape === 'counter + histogram') {
      writer.beginMetric(f.counter, 'sumInt', 'delta');
      for (let s = 0; s < f.series; s++) {
        labelsOf(s, four, true);
        writer.numberPoint(four, f.startMillis, f.endMillis, f.requests[s]);
        cut();
      }
      const h = f.histogram;
      writer.beginMetric(f.explicit, 'histogram', 'delta');
      for (let s = 0; s < f.series; s++) {
        labelsOf(s, three, false);
        writer.histogramPoint(
          three,
          f.startMillis,
          f.endMillis,
          h.count[s],
          h.sum[s],
          h.min[s],
          h.max[s],
          h.counts,
          s * h.buckets,
          h.buckets,
        );
        cut();
      }
    } else {
      const view = {} as ExponentialPointView;
      writer.beginMetric(f.exponentialDefinition, 'exponentialHistogram', 'delta');
      for (let s = 0; s < f.series; s++) {
        labelsOf(s, three, false);
        writer.exponentialHistogramPoint(three, f.startMillis, f.endMillis, f.exponential.readTaken(s + 1, view));
        cut();
      }
    }
    if (writer.points > 0) bodies.push(writer.finish());
    return bodies;
  };
}

const VARIANTS: Record<string, Encoder> = {
  'ringmeter protobuf': writerEncoder(() => new ProtobufMetricsWriter(IDENTITY)),
  'ringmeter JSON': writerEncoder(() => new JsonMetricsWriter(IDENTITY)),
  'SDK objects → JsonMetricsSerializer (current)': sdkEncoder(IDENTITY, (m) => JsonMetricsSerializer.serializeRequest(m)),
  'SDK objects → ProtobufMetricsSerializer': sdkEncoder(IDENTITY, (m) => ProtobufMetricsSerializer.serializeRequest(m)),
};

function cpuNanos(): number {
  const nanos = threadCpuNanos();
  // Not Linux: the process's CPU, which here is this thread's plus a little of V8's helpers.
  if (nanos !== undefined) return nanos;
  const { user, system } = process.cpuUsage();
  return (user + system) * 1_000;
}

interface Measurement {
  encode: number;
  gzip: number;
  gzipFast: number;
  bodyBytes: number;
  gzipBytes: number;
  gzipFastBytes: number;
}

/**
 * The kernel accounts a thread's CPU in scheduler ticks (4 ms here), so each part is repeated until it has used at
 * least `minNanos` of CPU and divided by the repetitions: a 10,000-series protobuf encode takes only a few ms.
 */
function repeatedCpu(minNanos: number, work: () => void): number {
  const before = cpuNanos();
  let repetitions = 0;
  let used = 0;
  do {
    work();
    repetitions++;
    used = cpuNanos() - before;
  } while (used < minNanos);
  return used / repetitions;
}

function measure(encode: Encoder, fixture: EncodeFixture, shape: Shape, minNanos: number): Measurement {
  (globalThis as { gc?: () => void }).gc?.();
  let bodies: Uint8Array[] = [];
  const encodeNanos = repeatedCpu(minNanos, () => {
    bodies = encode(fixture, shape);
  });
  let gzipBytes = 0;
  const gzipNanos = repeatedCpu(minNanos, () => {
    gzipBytes = 0;
    for (const body of bodies) gzipBytes += gzipSync(body).length;
  });
  let gzipFastBytes = 0;
  const gzipFastNanos = repeatedCpu(minNanos, () => {
    gzipFastBytes = 0;
    for (const body of bodies) gzipFastBytes += gzipSync(body, { level: 1 }).length;
  });
  const bodyBytes = bodies.reduce((sum, b) => sum + b.length, 0);
  return { encode: encodeNanos, gzip: gzipNanos, gzipFast: gzipFastNanos, bodyBytes, gzipBytes, gzipFastBytes };
}

export async function run(
  options: { seriesCounts?: number[]; rounds?: number; minMillis?: number } = {},
): Promise<{ rounds: number; cases: EncodeCase[] }> {
  const rounds = Math.max(1, options.rounds ?? 5);
  const minNanos = (options.minMillis ?? 250) * 1e6;
  const cases: EncodeCase[] = [];
  for (const series of options.seriesCounts ?? [10_000, 100_000]) {
    const fixture = encodeFixture(series);
    for (const shape of ['counter + histogram', 'exponential histogram'] as const) {
      const dataPoints = shape === 'counter + histogram' ? 2 * series : series;
      const names = Object.keys(VARIANTS);
      const samples = new Map(names.map((name) => [name, [] as Measurement[]]));
      for (const name of names) measure(VARIANTS[name], fixture, shape, 0); // warm-up: JIT, caches
      for (let r = 0; r < rounds; r++)
        for (const name of rotate(names, r)) samples.get(name)?.push(measure(VARIANTS[name], fixture, shape, minNanos));
      for (const name of names) {
        const runs = samples.get(name) ?? [];
        const totals = runs.map((m) => (m.encode + m.gzip) / dataPoints);
        cases.push({
          series,
          shape,
          variant: name,
          dataPoints,
          encodeNanosPerPoint: median(runs.map((m) => m.encode / dataPoints)),
          gzipNanosPerPoint: median(runs.map((m) => m.gzip / dataPoints)),
          gzipFastNanosPerPoint: median(runs.map((m) => m.gzipFast / dataPoints)),
          totalNanosPerPoint: median(totals),
          totalRangeNanos: [Math.min(...totals), Math.max(...totals)],
          bodyBytesPerPoint: runs[0].bodyBytes / dataPoints,
          gzipBytesPerPoint: runs[0].gzipBytes / dataPoints,
          gzipFastBytesPerPoint: runs[0].gzipFastBytes / dataPoints,
        });
      }
    }
  }
  return { rounds, cases };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const result = await run(
    quick ? { seriesCounts: [1_000], rounds: 1, minMillis: 0 } : { rounds: Number(process.env.BENCH_ENCODE_ROUNDS ?? 5) },
  );
  console.log(`\nOTLP encoding, CPU of this thread per data point (${result.rounds} rounds, medians; gzip at the default level)`);
  console.table(
    result.cases.map((c) => ({
      series: c.series,
      shape: c.shape,
      variant: c.variant,
      'encode µs/pt': round(c.encodeNanosPerPoint / 1_000),
      'gzip µs/pt': round(c.gzipNanosPerPoint / 1_000),
      'encode + gzip µs/pt': round(c.totalNanosPerPoint / 1_000),
      'gzip -1 µs/pt': round(c.gzipFastNanosPerPoint / 1_000),
      'B/pt': Math.round(c.bodyBytesPerPoint),
      'gzip B/pt': round(c.gzipBytesPerPoint),
      'gzip -1 B/pt': round(c.gzipFastBytesPerPoint),
    })),
  );
  saveSection('encode', result);
}
