/**
 * The export writes a store's points straight from its columns (export/series-run.ts), each series' attributes from
 * bytes (protobuf) or text (JSON) encoded once and cached (export/series-attributes.ts). Checked here against the path it replaced, for the
 * same input: the same points made into DataPoint objects (Batch.allPoints) and written one object at a time,
 * attributes encoded from the object. Both bodies are decoded with the official proto definitions and compared
 * point for point (counts, buckets, sums, min/max, attributes, timestamps); exact values are asserted besides.
 */
import { describe, expect, it } from 'vitest';
import { METRICS } from '../dist/src/contract/metrics.js';
import { CounterStore } from '../dist/workers/aggregation/counter-store.js';
import { collectCounter, collectHistogram } from '../dist/workers/aggregation/export-helpers.js';
import { HistogramStore } from '../dist/workers/aggregation/histogram-store.js';
import { Batch, Collection } from '../dist/workers/export/collection.js';
import { AttributeEncoder } from '../dist/workers/export/otlp/attributes.js';
import { JsonMetricsWriter } from '../dist/workers/export/otlp/json-writer.js';
import type { MetricsWriter, WriterIdentity } from '../dist/workers/export/otlp/metrics-writer.js';
import { ProtobufMetricsWriter } from '../dist/workers/export/otlp/protobuf-writer.js';
import { writeRequestBody } from '../dist/workers/export/otlp/request-body.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';
import { decodeMetricsRequest } from './support/otlp-proto.js';

const START = 1_700_000_000_000;
const IDENTITY: WriterIdentity = { resource: { 'service.name': 'checkout' }, scope: { name: 'ringmeter', version: '0.1.0' } };
const ROUTES = ['/a', '/b/:id', '/ü/"quoted"'];
const DURATIONS = [0.001, 0.02, 0.02, 0.3, 7, 42];

/** Key (route index, tenant number) → attributes of mixed value types, tenant_id last as the aggregators append it. */
function attributesOf(store: CounterStore | HistogramStore) {
  return (series: number) => {
    const route = store.keys[series * 2];
    const tenant = store.keys[series * 2 + 1];
    return { method: 'GET', route: ROUTES[route], status_code: 200 + route, cached: tenant % 2 === 0, tenant_id: `tenant-${tenant}` };
  };
}

interface Stores {
  requests: CounterStore;
  durations: HistogramStore;
  budget: MemoryBudget;
}

/** maxSeries 8: the 9th key and later go to the overflow series (otel.metric.overflow=true). */
function stores(): Stores {
  const budget = new MemoryBudget(1 << 24);
  return {
    requests: new CounterStore(2, 8, budget, START),
    durations: new HistogramStore(2, METRICS.httpDuration.boundaries ?? [], 8, budget, START),
    budget,
  };
}

function record(s: Stores, tenants: number[], now: number): void {
  for (const tenant of tenants)
    for (let route = 0; route < ROUTES.length; route++) {
      s.requests.increment(s.requests.seriesOf(route, tenant, 0, now));
      const series = s.durations.seriesOf(route, tenant, 0, now);
      for (const value of DURATIONS) s.durations.record(series, value * (tenant + 1));
    }
}

function collect(s: Stores, endMillis: number): Collection {
  const collection = new Collection(5, endMillis);
  collectCounter(collection, METRICS.httpRequests, s.requests, 0, attributesOf(s.requests));
  collectHistogram(collection, METRICS.httpDuration, s.durations, 0, attributesOf(s.durations));
  return collection;
}

/** The batch as the previous path wrote it: every point a DataPoint object, its attributes encoded from the object. */
function asObjects(batch: Batch): Batch {
  const objects = new Batch(batch.endMillis);
  for (const [definition, points] of batch.allPoints()) {
    objects.points.set(definition, points);
    objects.metrics.push(definition);
    objects.size += points.length;
  }
  expect(objects.runs).toEqual([]);
  return objects;
}

function decode(writer: MetricsWriter, body: Uint8Array): Record<string, any> {
  return writer.format === 'protobuf' ? decodeMetricsRequest(body) : JSON.parse(Buffer.from(body).toString('utf8'));
}

/** Every point of the bodies, by metric name: what the receiver would store. */
function pointsByMetric(requests: Record<string, any>[]): Record<string, any[]> {
  const byMetric: Record<string, any[]> = {};
  for (const request of requests)
    for (const metric of request.resourceMetrics[0].scopeMetrics[0].metrics) {
      byMetric[metric.name] = [...(byMetric[metric.name] ?? []), ...(metric.sum ?? metric.histogram).dataPoints];
    }
  return byMetric;
}

function attributes(point: any): Record<string, unknown> {
  return Object.fromEntries(point.attributes.map((a: any) => [a.key, Object.values(a.value)[0]]));
}

describe.each([
  ['protobuf', () => new ProtobufMetricsWriter(IDENTITY)],
  ['json', () => new JsonMetricsWriter(IDENTITY)],
] as const)('%s: points written from the store columns', (_format, makeWriter) => {
  it('decode to the same message as the DataPoint path, export after export, a removed series number reused with new labels', () => {
    const s = stores();
    const direct = makeWriter();
    const previous = makeWriter();
    const exportOnce = (end: number) => {
      const collection = collect(s, end);
      const encoder = new AttributeEncoder();
      const bodies = collection.batches.map((batch) => {
        const objects = asObjects(batch);
        const body = decode(direct, writeRequestBody(batch, direct, encoder));
        // The same input through the object path: the same message, field for field.
        expect(body).toEqual(decode(previous, writeRequestBody(objects, previous, new AttributeEncoder())));
        batch.commit();
        return body;
      });
      return pointsByMetric(bodies);
    };

    // Tenants 0–3 × 3 routes = 12 keys over 8 series: 4 keys' records in the overflow series.
    record(s, [0, 1, 2, 3], START + 500);
    const first = exportOnce(START + 30_000);
    expect(first.http_requests_total.length).toBe(9);
    expect(first.http_requests_total.reduce((sum, p) => sum + Number(p.asInt), 0)).toBe(12);
    const overflow = first.http_requests_total.find((p) => attributes(p)['otel.metric.overflow'] === true);
    expect(overflow.asInt).toBe('4');
    const ours = first.http_requests_total.find((p) => attributes(p).tenant_id === 'tenant-1' && attributes(p).route === '/b/:id');
    expect(attributes(ours)).toEqual({ method: 'GET', route: '/b/:id', status_code: '201', cached: false, tenant_id: 'tenant-1' });
    expect([ours.startTimeUnixNano, ours.timeUnixNano]).toEqual([`${START + 500}000000`, `${START + 30_000}000000`]);
    const histogram = first.http_request_duration_seconds.find(
      (p) => attributes(p).tenant_id === 'tenant-1' && attributes(p).route === '/a',
    );
    // 0.002, 0.04, 0.04, 0.6, 14, 84 over the default boundaries.
    expect([histogram.count, histogram.sum, histogram.min, histogram.max]).toEqual(['6', 0.002 + 0.04 + 0.04 + 0.6 + 14 + 84, 0.002, 84]);
    expect(histogram.bucketCounts.map(Number).reduce((a: number, b: number) => a + b, 0)).toBe(6);
    expect(histogram.explicitBounds).toEqual(METRICS.httpDuration.boundaries);

    // Second export: every attribute list from the cache; only tenant 1 has records.
    record(s, [1], START + 31_000);
    const second = exportOnce(START + 60_000);
    expect(second.http_requests_total.map((p) => attributes(p).tenant_id).sort()).toEqual(['tenant-1', 'tenant-1', 'tenant-1']);
    expect(second.http_requests_total.every((p) => p.startTimeUnixNano === `${START + 30_000}000000`)).toBe(true);

    // Third export (idle 0): the series without records are removed; their numbers go to tenant 9's new keys.
    record(s, [1], START + 61_000);
    exportOnce(START + 90_000);
    record(s, [9], START + 91_000);
    const fourth = exportOnce(START + 120_000);
    const tenants = fourth.http_request_duration_seconds.map((p) => attributes(p).tenant_id).sort();
    expect(tenants).toEqual(['tenant-9', 'tenant-9', 'tenant-9']);
    expect(fourth.http_requests_total.map((p) => `${attributes(p).route} ${attributes(p).cached}`).sort()).toEqual(
      ROUTES.map((route) => `${route} false`).sort(),
    );
  });
});

it('the cached attribute lists are charged to the memory budget as their slab grows, and removed series leave no growth behind', () => {
  const s = stores();
  const writer = new ProtobufMetricsWriter(IDENTITY);
  const exportAll = (end: number) => {
    const encoder = new AttributeEncoder();
    for (const batch of collect(s, end).batches) {
      writeRequestBody(batch, writer, encoder);
      batch.commit();
    }
  };
  record(s, [0], START + 500);
  const beforeExport = s.budget.used;
  exportAll(START + 30_000);
  // Per store (one metric each): a slab of 4,096 bytes and 64 series × (offset + length) of 4 bytes each.
  const slabs = 2 * (4_096 + 64 * 8);
  expect(s.budget.used - beforeExport).toBe(slabs);
  // 100 tenants in turn, each exported once and then removed (idle 0): ~30 KiB of lists in all, in the same slabs.
  for (let tenant = 1; tenant <= 100; tenant++) {
    record(s, [tenant], START + tenant * 60_000);
    exportAll(START + tenant * 60_000 + 30_000);
  }
  exportAll(START + 101 * 60_000);
  expect(s.budget.used - beforeExport).toBe(slabs);
});
