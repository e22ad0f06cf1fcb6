import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KIND_HTTP,
  KIND_QUERY,
  KIND_RUNTIME,
  KIND_TENANT_USAGE,
  KIND_TRANSACTION,
  QUERY_KEY_IS_SQL,
  QUERY_SUCCESS,
  RUNTIME_GC,
  RUNTIME_RSS_BYTES,
  TRANSACTION_COMMIT,
  USAGE_BYTES,
  tag,
} from '../dist/src/contract/codes.js';
import type { ShardAnalytics } from '../dist/src/contract/analytics.js';
import type { WorkerToMain } from '../dist/src/contract/protocol.js';
import { ENDPOINT_SEPARATOR, INVALID_ID, SYSTEM_ID, TENANT_ID_BASE, UNKNOWN_ID } from '../dist/src/contract/strings-layout.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';
import { StringTableWriter } from '../dist/src/strings/string-table.js';
import { Shard } from '../dist/workers/shard.js';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { internals } from 'ringmeter/internal';
import { startPipeline, total, valuesByLabels, waitFor } from './support/harness.js';
import { inProcessWorkerConfig, onSimulatedTime } from './support/in-process-shard.js';
import { SimulatedClock } from './support/simulated-clock.js';

const GET = 1;
const SLOTS = 8;
/** Records written between two drain passes: well inside the ring, so nothing goes to the overflow. */
const BATCH = 256;
// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach a label.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A deterministic PRNG (mulberry32): the same records on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A float64 made of two random 32-bit words: any bit pattern, NaNs, infinities and subnormals included. */
function randomFloat(next: () => number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, next());
  view.setUint32(4, next());
  return view.getFloat64(0);
}

/**
 * A real Shard in-process, on simulated time, exporting over real HTTP to the test receiver: records go through
 * the real ring and string table, written word by word as garbage could be.
 */
async function fuzzedShard(shards = 1) {
  const receiver = await new OtlpReceiver().start();
  const clock = new SimulatedClock();
  const { port1, port2 } = new MessageChannel();
  const config = inProcessWorkerConfig({ otlp: { endpoint: receiver.url }, tenantSlots: SLOTS, shards });
  const ring = new RingWriter(config.ringCapacity, config.maxMemoryBytes);
  const strings = new StringTableWriter(config.stringTableEntries, 4_096, SLOTS);
  const shard = new Shard({ shard: 0, ring: ring.buffer, strings: strings.buffer, port: port2, config }, clock);
  shard.start();
  const ids = {
    route: strings.append(`/orders${ENDPOINT_SEPARATOR}api`),
    table: strings.append('orders'),
    resource: strings.append('storage'),
    bytes: strings.append('bytes'),
    database: strings.append('main'),
    sql: strings.append('select * from orders'),
    /** An entry that is fine as a SQL text and must never become a label: a route, a tenant, a table. */
    forged: strings.append('select 1 from "t\r\nforged_metric_total 1"'),
    acme: TENANT_ID_BASE,
    globex: TENANT_ID_BASE + 2,
  };
  strings.writeTenant(0, 'acme');
  strings.writeTenant(2, 'globex');
  let written = 0;
  return {
    receiver,
    clock,
    shard,
    ring,
    ids,
    port: port1,
    /** Writes one record, word by word; drains every BATCH records so the ring never fills. */
    write(tagWord: number, key: number, tenant: number, aux: number, value: number, a = 0, b = 0) {
      ring.write(tagWord >>> 0, key >>> 0, tenant >>> 0, aux >>> 0, value, a >>> 0, b >>> 0);
      if (++written % BATCH === 0) shard.drain(1 << 20);
    },
    http(tenant: number, seconds = 0.01) {
      this.write(tag(KIND_HTTP, GET, 200), ids.route, tenant, 0, seconds, 100, 1_000);
    },
    async exportNow() {
      shard.drain(1 << 20);
      expect(await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000))).toEqual({ ok: true });
    },
    async close() {
      port1.close();
      port2.close();
      await receiver.stop();
    },
  };
}

type Fuzzed = Awaited<ReturnType<typeof fuzzedShard>>;

/** Asks the shard over its port, as the supervisor does, and returns the answer. */
async function ask<T extends WorkerToMain['type']>(
  port: MessagePort,
  message: object,
  answer: T,
): Promise<Extract<WorkerToMain, { type: T }>> {
  let reply: Extract<WorkerToMain, { type: T }> | undefined;
  const listener = (received: WorkerToMain) => {
    if (received.type === answer) reply = received as Extract<WorkerToMain, { type: T }>;
  };
  port.on('message', listener);
  port.postMessage(message);
  try {
    await waitFor(() => reply !== undefined, 10_000, `the shard's ${answer}`);
  } finally {
    port.off('message', listener);
  }
  return reply as Extract<WorkerToMain, { type: T }>;
}

/** Every number a Prometheus sample line ends with; `le="+Inf"` is a label, never a value. */
function sampleValues(text: string): number[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}

/** Every number inside a JSON-able value. */
function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(numbersIn);
}

let running: Fuzzed | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('the worker and records it cannot use', () => {
  it('skips and counts each kind of unusable record, and exports the valid records around them exactly', async () => {
    const s = await fuzzedShard();
    running = s;
    const { ids } = s;
    const http = (method: number, status: number, key: number, tenant: number, seconds: number) => () =>
      s.write(tag(KIND_HTTP, method, status), key, tenant, 0, seconds, 1, 1);
    const query = (detail: number, sqlState: number, key: number, tenant: number, database: number, seconds: number) => () =>
      s.write(tag(KIND_QUERY, detail, sqlState), key, tenant, database, seconds);
    const sql = QUERY_KEY_IS_SQL | QUERY_SUCCESS;
    const garbage: [string, () => void][] = [
      ['a zeroed slot', () => s.write(0, 0, 0, 0, 0)],
      ['an unknown kind', () => s.write(0x7f, ids.route, ids.acme, 0, 0.1)],
      ['an unknown method', http(11, 200, ids.route, ids.acme, 0.1)],
      ['a status below 100', http(GET, 99, ids.route, ids.acme, 0.1)],
      ['a status above 999', http(GET, 1_000, ids.route, ids.acme, 0.1)],
      ['a route beyond the table', http(GET, 200, 1_000, ids.acme, 0.1)],
      ['a tenant id as a route', http(GET, 200, ids.acme, ids.acme, 0.1)],
      ['a route with control characters', http(GET, 200, ids.forged, ids.acme, 0.1)],
      ["the middleware's old -1 as a tenant", http(GET, 200, ids.route, -1, 0.1)],
      ['a tenant slot beyond the region', http(GET, 200, ids.route, TENANT_ID_BASE + SLOTS, 0.1)],
      ['a tenant slot never written', http(GET, 200, ids.route, TENANT_ID_BASE + 5, 0.1)],
      ['a tenant beyond the table', http(GET, 200, ids.route, 1_000, 0.1)],
      ['a tenant with control characters', http(GET, 200, ids.route, ids.forged, 0.1)],
      ['a NaN duration', http(GET, 200, ids.route, ids.acme, Number.NaN)],
      ['a negative duration', http(GET, 200, ids.route, ids.acme, -1)],
      ['an infinite duration', http(GET, 200, ids.route, ids.acme, Number.POSITIVE_INFINITY)],
      ['a duration of 1e308', http(GET, 200, ids.route, ids.acme, 1e308)],
      ['a query flag nobody writes', query(sql | 8, 0, ids.sql, ids.acme, ids.database, 0.1)],
      ['a query type beyond the table', query(QUERY_SUCCESS | (5 << 4), 0, ids.table, ids.acme, ids.database, 0.1)],
      ['a SQLSTATE class beyond the table', query(0, 36 * 36 + 1, ids.table, ids.acme, ids.database, 0.1)],
      ['a SQL text beyond the table', query(sql, 0, 1_000, ids.acme, ids.database, 0.1)],
      ['a table with control characters', query(QUERY_SUCCESS | (1 << 4), 0, ids.forged, ids.acme, ids.database, 0.1)],
      ['a database beyond the table', query(sql, 0, ids.sql, ids.acme, 1_000, 0.1)],
      ['a query of the old -1 tenant', query(sql, 0, ids.sql, -1, ids.database, 0.1)],
      ['a transaction status nobody writes', () => s.write(tag(KIND_TRANSACTION, 3, 0), 0, ids.acme, 0, 0)],
      ['a transaction nesting code nobody writes', () => s.write(tag(KIND_TRANSACTION, TRANSACTION_COMMIT, 2), 0, ids.acme, 0, 0)],
      ['a usage flag nobody writes', () => s.write(tag(KIND_TENANT_USAGE, 2, 0), ids.resource, ids.acme, ids.bytes, 1)],
      ['a resource type beyond the table', () => s.write(tag(KIND_TENANT_USAGE, USAGE_BYTES, 0), 1_000, ids.acme, ids.bytes, 1)],
      ['a data type with control characters', () => s.write(tag(KIND_TENANT_USAGE, 0, 0), ids.resource, ids.acme, ids.forged, 1)],
      ['a usage beyond 2^53', () => s.write(tag(KIND_TENANT_USAGE, 0, 0), ids.resource, ids.acme, ids.bytes, 2 ** 53 + 2)],
      ['a runtime sample nobody writes', () => s.write(tag(KIND_RUNTIME, 10, 0), 0, SYSTEM_ID, 0, 1)],
      ['a GC kind beyond the table', () => s.write(tag(KIND_RUNTIME, RUNTIME_GC, 5), 0, SYSTEM_ID, 0, 0.001)],
      ['a runtime sample of NaN', () => s.write(tag(KIND_RUNTIME, RUNTIME_RSS_BYTES, 0), 0, SYSTEM_ID, 0, Number.NaN)],
    ];
    for (const [, writeGarbage] of garbage) {
      s.http(ids.acme);
      writeGarbage();
      s.http(ids.globex);
    }
    // The records every kind is written as, each once: all usable.
    s.write(tag(KIND_QUERY, sql, 0), ids.sql, ids.acme, ids.database, 0.002, 1, 10);
    s.write(tag(KIND_TRANSACTION, TRANSACTION_COMMIT, 1), 0, ids.acme, ids.database, 0);
    s.write(tag(KIND_TENANT_USAGE, USAGE_BYTES, 0), ids.resource, ids.acme, ids.bytes, 2 ** 53 - 1);
    s.write(tag(KIND_RUNTIME, RUNTIME_GC, 2), 0, SYSTEM_ID, 0, 0.003);
    s.http(UNKNOWN_ID);
    s.http(INVALID_ID);
    await s.exportNow();

    expect(s.ring.header.undecodable).toBe(garbage.length);
    const points = s.receiver.points;
    expect(total(points, 'ringmeter.records.dropped', { reason: 'undecodable' })).toBe(garbage.length);
    const series = 'method=GET,route=/orders,status_code=200';
    expect(valuesByLabels(points, 'http_requests_total')).toEqual({
      [`${series},tenant_id=acme`]: garbage.length,
      [`${series},tenant_id=globex`]: garbage.length,
      [`${series},tenant_id=unknown`]: 1,
      [`${series},tenant_id=invalid`]: 1,
    });
    expect(valuesByLabels(points, 'db_query_duration_seconds')).toEqual({ 'query_type=SELECT,table=orders,tenant_id=acme': 1 });
    expect(valuesByLabels(points, 'db_transactions_total')).toEqual({ 'nested=true,status=commit,tenant_id=acme': 1 });
    expect(valuesByLabels(points, 'tenant_resource_usage_total')).toEqual({
      'data_type=bytes,resource_type=storage,tenant_id=acme': 2 ** 53 - 1,
    });
    expect(valuesByLabels(points, 'app_gc_duration_seconds')).toEqual({ 'gc_type=major': 1 });
  });

  it('survives 100,000 random records: skips every one, counts every one, and exports the valid records between them', async () => {
    const s = await fuzzedShard();
    running = s;
    const next = prng(28);
    const RANDOM = 100_000;
    for (let i = 0; i < RANDOM; i++) {
      s.write(next(), next(), next(), next(), randomFloat(next), next(), next());
      if (i % 100 === 0) s.http(i % 200 === 0 ? s.ids.acme : s.ids.globex);
    }
    await s.exportNow();
    expect(s.ring.header.undecodable).toBe(RANDOM);
    expect(total(s.receiver.points, 'ringmeter.records.dropped', { reason: 'undecodable' })).toBe(RANDOM);
    expect(valuesByLabels(s.receiver.points, 'http_requests_total')).toEqual({
      'method=GET,route=/orders,status_code=200,tenant_id=acme': 500,
      'method=GET,route=/orders,status_code=200,tenant_id=globex': 500,
    });
  });

  it('survives 50,000 records of known kinds with random codes, ids and values: exports, renders and answers analytics with clean labels and finite numbers', async () => {
    const s = await fuzzedShard();
    running = s;
    const next = prng(2_028);
    const values = [0, 5e-324, 1e-12, 0.25, 86_400, 2 ** 53 - 1, 2 ** 53, -0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e308];
    const id = () => (next() % 4 === 0 ? TENANT_ID_BASE + (next() % (SLOTS + 2)) : next() % 16);
    const RECORDS = 50_000;
    // A valid series first: the fuzz may fill the shard's series (maxSeries) with whatever it makes usable.
    s.http(s.ids.acme, 0.5);
    for (let i = 0; i < RECORDS; i++) {
      const kind = 1 + (next() % 5);
      const detail = next() % 4 === 0 ? next() & 0xff : next() % 12;
      const code = next() % 3 === 0 ? next() & 0xffff : [0, 1, 2, 200, 404, 500, 1_000][next() % 7];
      s.write(tag(kind, detail, code), id(), id(), id(), values[next() % values.length], next() % 64, next() % 64);
    }
    await s.exportNow();
    const undecodable = s.ring.header.undecodable;
    // Deterministic (a fixed seed): most are unusable, some are not; every one was read, none was lost.
    expect(undecodable).toBeGreaterThan(0);
    expect(undecodable).toBeLessThan(RECORDS);
    expect(s.ring.header.readIndex).toBe(RECORDS + 1);
    expect(total(s.receiver.points, 'ringmeter.records.dropped', { reason: 'undecodable' })).toBe(undecodable);

    const exported = s.receiver.points;
    expect(exported.length).toBeGreaterThan(0);
    for (const point of exported) {
      for (const value of Object.values(point.attributes)) if (typeof value === 'string') expect(value).not.toMatch(CONTROL);
      for (const value of [point.value, point.sum, point.min, point.max])
        if (value !== undefined) expect(Number.isFinite(value)).toBe(true);
    }
    const rendered = await ask(s.port, { type: 'render', id: 1 }, 'rendered');
    const text = rendered.families
      .map((family) => family.samples.map((chunk: Uint8Array) => new TextDecoder().decode(chunk)).join(''))
      .join('');
    expect(text.replaceAll('\n', '')).not.toMatch(CONTROL);
    expect(sampleValues(text).every(Number.isFinite)).toBe(true);
    const analyzed = await ask(s.port, { type: 'analytics', id: 2, selection: { all: true } }, 'analyzed');
    const analytics: ShardAnalytics = analyzed.result;
    expect(analytics.tenants.length).toBeGreaterThan(0);
    expect(JSON.stringify(analytics)).not.toMatch(CONTROL);
    expect(numbersIn(analytics).every((value) => Number.isFinite(value) || Number.isNaN(value))).toBe(true);

    // A valid record after all of it is exported exactly (its series' delta since the export above).
    s.receiver.requests.length = 0;
    s.receiver.accepted.length = 0;
    s.http(s.ids.acme, 0.5);
    await s.exportNow();
    expect(valuesByLabels(s.receiver.points, 'http_requests_total')).toEqual({
      'method=GET,route=/orders,status_code=200,tenant_id=acme': 1,
    });
  });

  it("refuses a tenant of another shard: a tenant's series have one writer", async () => {
    const s = await fuzzedShard(2);
    running = s;
    // Slot 0 (acme) belongs to shard 0, slot 1 to shard 1; UNKNOWN_ID (1) to shard 1, INVALID_ID (2) to shard 0.
    s.http(s.ids.acme);
    s.http(TENANT_ID_BASE + 1);
    s.http(UNKNOWN_ID);
    s.http(INVALID_ID);
    await s.exportNow();
    expect(s.ring.header.undecodable).toBe(2);
    expect(valuesByLabels(s.receiver.points, 'http_requests_total')).toEqual({
      'method=GET,route=/orders,status_code=200,tenant_id=acme': 1,
      'method=GET,route=/orders,status_code=200,tenant_id=invalid': 1,
    });
  });
});

describe('a real worker thread and records naming what nothing resolves', () => {
  it('lives on: no restart, nothing lost, each skipped record counted, the valid ones exported and rendered exactly', async () => {
    const { collector, receiver } = await startPipeline();
    const hooks = internals(collector);
    try {
      const route = hooks.labels.endpoints.intern('/orders');
      collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      // What a hook with a bug could write through the fast paths: ids nothing resolves, values nothing should hold.
      hooks.writer.writeHttp(GET, 200, route, -1, 0.01, 0, 0);
      hooks.writer.writeHttp(GET, 200, route, TENANT_ID_BASE + 1_000_000, 0.01, 0, 0);
      hooks.writer.writeHttp(GET, 200, 999_999, UNKNOWN_ID, 0.01, 0, 0);
      hooks.writer.writeHttp(GET, 200, route, UNKNOWN_ID, 1e308, 0, 0);
      hooks.writer.writeQuery(QUERY_KEY_IS_SQL | QUERY_SUCCESS, 0, 999_999, SYSTEM_ID, 0, 0.01, 0, 0);
      hooks.writer.writeUsage(hooks.labels.labelId('storage'), -1, UNKNOWN_ID, 1, false);
      hooks.writer.writeTransaction(true, false, TENANT_ID_BASE + 1_000_000, 0);
      collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      // A scrape and an analytics read, where such records used to throw, then an export.
      expect(await hooks.reads.renderMetrics('prometheus', 5_000)).toContain('tenant_id="acme"} 2');
      expect((await hooks.reads.analytics({ all: true }, 5_000))[0].tenants.map((tenant) => tenant.tenant)).toEqual(['acme']);
      await collector.flush();
      expect(collector.stats().workers).toEqual({ count: 1, running: 1, restarts: 0, lostRecords: 0, possiblyDelivered: 0 });
      expect(total(receiver.points, 'ringmeter.records.dropped', { reason: 'undecodable' })).toBe(7);
      expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual({
        'method=GET,route=/orders,status_code=200,tenant_id=acme': 2,
      });
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });
});
