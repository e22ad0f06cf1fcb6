import postgres from 'postgres';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { honoMetrics } from 'ringmeter/hono';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { pointsNamed, startPipeline, total, valuesByLabels, waitFor } from './support/harness.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';

/**
 * configure({ metrics }) on a running collector, end to end: real workers, a real Hono app, a real PostgreSQL and
 * the test receiver. The record path sees a switch at the call; what was recorded before is exported, once.
 */

let collector: Collector | undefined;
let receiver: OtlpReceiver | undefined;
const clients: postgres.Sql[] = [];

afterEach(async () => {
  await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
  await receiver?.stop();
  for (const client of clients.splice(0)) await client.end();
  collector = undefined;
  receiver = undefined;
});

/** A collector with a Hono app and a postgres.js client instrumented on it, and a way to make traffic of each family. */
async function instrumented(metrics: { http?: boolean; db?: boolean; tenant?: boolean } = {}) {
  const started = await startPipeline({ metrics });
  collector = started.collector;
  receiver = started.receiver;
  const target = started.collector;
  const app = new Hono();
  app.use(honoMetrics(target));
  app.get('/items/:id', (c) => c.text('ok'));
  const raw = postgres(DATABASE_URL, { max: 1 });
  clients.push(raw);
  const sql = instrumentPostgres(target, raw, { database: 'test' });
  /** Requests through the middleware, direct recordHttp calls, queries through the client, usage records. */
  const traffic = async (counts: { requests?: number; direct?: number; queries?: number; usage?: number }) => {
    for (let i = 0; i < (counts.requests ?? 0); i++) {
      expect((await app.request(`/items/${i}`, { headers: { 'x-tenant-id': 'acme' } })).status).toBe(200);
    }
    for (let i = 0; i < (counts.queries ?? 0); i++) await sql`select 1 as one`;
    for (let i = 0; i < (counts.direct ?? 0); i++) {
      target.recordHttp({ method: 'GET', route: '/direct', statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
    }
    for (let i = 0; i < (counts.usage ?? 0); i++) target.recordTenantResource({ tenantId: 'acme', resourceType: 'storage', usage: 2 });
  };
  return { collector: target, receiver: started.receiver, traffic };
}

/** Every family's totals at the receiver so far. */
function totals(points: OtlpReceiver['points']) {
  return {
    middleware: total(points, 'http_requests_total', { route: '/items/:id' }),
    direct: total(points, 'http_requests_total', { route: '/direct' }),
    queries: total(points, 'db_queries_total'),
    usage: total(points, 'tenant_resource_usage_total'),
    tenantCalls: total(points, 'tenant_api_calls_total'),
  };
}

describe('configure({ metrics }) on a running collector', () => {
  it('switches http, db and tenant off and on again mid-stream: exact counts, nothing recorded while off, nothing before lost', async () => {
    const { collector, receiver, traffic } = await instrumented();
    await traffic({ requests: 3, queries: 4 });
    // Written just before the call, still in the ring when the families go off: exported all the same.
    await traffic({ direct: 2, usage: 2 });
    const off = collector.configure({ metrics: { http: false, db: false, tenant: false } });
    // The record path sees the switch at the call, before the workers answer.
    expect(collector.options.metrics).toEqual({ http: false, db: false, tenant: false, runtime: false });
    const writtenAtSwitch = collector.stats().ring.written;
    await traffic({ direct: 5, usage: 3 });
    await off;
    await traffic({ requests: 7, queries: 6, direct: 1, usage: 1 });
    expect(collector.stats().ring.written).toBe(writtenAtSwitch);
    await collector.flush();
    expect(totals(receiver.points)).toEqual({ middleware: 3, direct: 2, queries: 4, usage: 4, tenantCalls: 5 });

    await collector.configure({ metrics: { http: true, db: true, tenant: true } });
    await traffic({ requests: 4, queries: 2, direct: 1, usage: 1 });
    await collector.flush();
    expect(totals(receiver.points)).toEqual({ middleware: 7, direct: 3, queries: 6, usage: 6, tenantCalls: 10 });
    // Per series too: the families switched back on record under the same labels, nothing twice.
    expect(valuesByLabels(receiver.points, 'tenant_api_calls_total')).toEqual({ 'endpoint_category=other,tenant_id=acme': 10 });
  });

  it('tenant alone off: requests keep counting, the tenant_* rows derived from them stop, then start again', async () => {
    const { collector, receiver, traffic } = await instrumented();
    await traffic({ direct: 5 });
    // The 5 are in the ring at the call: the worker aggregates them, rows included, before it switches.
    await collector.configure({ metrics: { tenant: false } });
    await traffic({ direct: 4, usage: 3 });
    await collector.flush();
    expect(totals(receiver.points)).toEqual({ middleware: 0, direct: 9, queries: 0, usage: 0, tenantCalls: 5 });
    await collector.configure({ metrics: { tenant: true } });
    await traffic({ direct: 2, usage: 1 });
    await collector.flush();
    expect(totals(receiver.points)).toEqual({ middleware: 0, direct: 11, queries: 0, usage: 2, tenantCalls: 7 });
  });

  it('hooks set up while their family is off record once it is switched on', async () => {
    const { collector, receiver, traffic } = await instrumented({ http: false, db: false });
    await traffic({ requests: 2, queries: 2, direct: 2 });
    expect(collector.stats().ring.written).toBe(0);
    await collector.configure({ metrics: { http: true, db: true } });
    await traffic({ requests: 3, queries: 3 });
    await collector.flush();
    expect(totals(receiver.points)).toEqual({ middleware: 3, direct: 0, queries: 3, usage: 0, tenantCalls: 3 });
  });

  it('runtime on starts the sampler on the interval given; off stops it, and no gauge value is repeated after', async () => {
    const started = await startPipeline();
    collector = started.collector;
    receiver = started.receiver;
    const runtime = () =>
      ['app_memory_usage_bytes', 'app_cpu_usage_percent', 'app_event_loop_delay_seconds', 'app_gc_duration_seconds'].flatMap((metric) =>
        pointsNamed(started.receiver.points, metric),
      );
    collector.recordHttp({ method: 'GET', route: '/a', statusCode: 200, durationSeconds: 0.001 });
    await collector.flush();
    expect(runtime()).toEqual([]);

    await collector.configure({ metrics: { runtime: true }, runtimeMetricsIntervalMillis: 100 });
    expect(collector.options.runtimeMetricsIntervalMillis).toBe(100);
    // Until the sampler has written its first samples (polled: a loaded machine may take longer than a few intervals).
    const beforeSamples = collector.stats().ring.written;
    await waitFor(() => started.collector.stats().ring.written > beforeSamples, 10_000, 'the runtime sampler to write');
    await collector.flush();
    const rss = pointsNamed(started.receiver.points, 'app_memory_usage_bytes').filter((p) => p.attributes.memory_type === 'rss');
    expect(rss.length).toBeGreaterThan(0);
    expect(rss.every((point) => (point.value ?? 0) > 1024 * 1024)).toBe(true);

    await collector.configure({ metrics: { runtime: false } });
    const written = collector.stats().ring.written;
    started.receiver.clear();
    await new Promise((resolve) => setTimeout(resolve, 350));
    // The sampler is stopped: no record in 350 ms at a 100 ms interval.
    expect(collector.stats().ring.written).toBe(written);
    collector.recordHttp({ method: 'GET', route: '/b', statusCode: 200, durationSeconds: 0.001 });
    await collector.flush();
    expect(total(started.receiver.points, 'http_requests_total')).toBe(1);
    expect(runtime()).toEqual([]);
  });
});
