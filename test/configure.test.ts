import { afterEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { Collector } from 'ringmeter';
import { operationsRoutes } from 'ringmeter/hono';
import { internals } from 'ringmeter/internal';
import { freePort, pointsNamed, startPipeline, total, waitFor, workersStarted } from './support/harness.js';
import { OtlpReceiver, type ReceivedPoint } from './support/otlp-receiver.js';

/**
 * collector.configure() on a running collector, end to end: real workers, real HTTP to two test receivers. Exact
 * totals: every record is counted once across both receivers, never lost, never twice.
 */

let collector: Collector | undefined;
const receivers: OtlpReceiver[] = [];

afterEach(async () => {
  await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
  collector = undefined;
  for (const receiver of receivers.splice(0)) await receiver.stop();
});

async function pipeline(options: Parameters<typeof startPipeline>[0] = {}) {
  // The default export deadline (10 s): a 2 s one ran out at a load average of 23 (batchSize 2 makes a flush many
  // requests), and no test here needs a short one (the unreachable endpoint's check sets its own).
  const started = await startPipeline(options);
  collector = started.collector;
  receivers.push(started.receiver);
  // Readiness polled, not raced: no test configures or shuts down a worker that is still starting.
  await workersStarted(started.collector);
  const second = await new OtlpReceiver().start();
  receivers.push(second);
  return { collector: started.collector, first: started.receiver, second };
}

/** http_requests_total per route, from one receiver's accepted points. */
function byRoute(points: ReceivedPoint[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const point of pointsNamed(points, 'http_requests_total')) {
    const route = String(point.attributes.route);
    result.set(route, (result.get(route) ?? 0) + (point.value ?? 0));
  }
  return result;
}

/** `count` requests on `route`, spread over a few tenants (so over both shards), written at once. */
function send(target: Collector, route: string, count: number): void {
  for (let i = 0; i < count; i++) {
    target.recordHttp({ method: 'GET', route, statusCode: 200, tenantId: `tenant-${i % 5}`, durationSeconds: 0.001 });
  }
}

const pause = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

describe('configure() on a running collector', () => {
  it('switches endpoint and interval mid-stream: the old window goes to the old endpoint, every record counted once', async () => {
    const { collector, first, second } = await pipeline({ workers: 2, otlp: { exportIntervalMillis: 3_600_000 } });
    const sent = new Map<string, number>();
    const phase = (name: string, chunks: number) => {
      for (let i = 0; i < chunks; i++) {
        const route = `/${name}/${i}`;
        send(collector, route, 40 + i);
        sent.set(route, 40 + i);
      }
    };
    // The old endpoint works (its last export succeeded on both shards): the window is handed over to it.
    phase('before-warm', 1);
    await collector.flush();
    phase('before', 10);
    await pause(30);
    phase('before-late', 10);
    // Records keep coming while the change is applied: written between the call and its answer.
    const applied = collector.configure({ otlp: { endpoint: second.url, exportIntervalMillis: 200 } });
    let during = 0;
    let settled = false;
    void applied.finally(() => {
      settled = true;
    });
    while (!settled) {
      phase(`during-${during++}`, 2);
      await pause(2);
    }
    await applied;
    const firstRequestsAtSwitch = first.requests.length;
    expect(collector.options.otlp.endpoint).toBe(second.url);
    expect(collector.options.otlp.exportIntervalMillis).toBe(200);
    // Everything recorded before configure() was called left under the old settings, to the old endpoint, at once.
    const old = byRoute(first.points);
    for (const [route, count] of sent) if (route.startsWith('/before')) expect([route, old.get(route)]).toEqual([route, count]);

    phase('after', 10);
    // The new interval runs without any flush: at least two timer exports reach the new endpoint.
    const baseline = second.accepted.length;
    await waitFor(() => second.accepted.length >= baseline + 2, 5_000, 'two exports on the new 200 ms interval');
    await collector.flush();

    expect(first.requests.length).toBe(firstRequestsAtSwitch);
    const fromFirst = byRoute(first.points);
    const fromSecond = byRoute(second.points);
    for (const [route, count] of sent) {
      const a = fromFirst.get(route) ?? 0;
      const b = fromSecond.get(route) ?? 0;
      // Sum = sent for each route (no loss, no double count); before the call: old endpoint only; after: new only.
      expect([route, a + b]).toEqual([route, count]);
      if (route.startsWith('/before')) expect([route, b]).toEqual([route, 0]);
      if (route.startsWith('/after')) expect([route, a]).toEqual([route, 0]);
    }
    const everything = [...sent.values()].reduce((sum, count) => sum + count, 0);
    expect(total(first.points, 'http_requests_total') + total(second.points, 'http_requests_total')).toBe(everything);
    expect(during).toBeGreaterThan(0);
  });

  it('fixes a wrong key: the old endpoint answers 401, so the window since goes whole to the new one, on every shard', async () => {
    const { collector, first, second } = await pipeline({ workers: 2 });
    first.respond = () => ({ status: 401, body: '{"message":"invalid ingestion key"}' });
    send(collector, '/refused', 10);
    await expect(collector.flush()).rejects.toThrow(/401/);
    const refused = collector.stats().export.droppedDataPoints;
    expect(refused).toBeGreaterThan(0);
    const asked = first.requests.length;
    send(collector, '/window', 25);
    await collector.configure({ otlp: { endpoint: second.url, headers: { 'signoz-ingestion-key': 'fixed' } } });
    // The old endpoint failed its last request on both shards: not asked again.
    expect(first.requests.length).toBe(asked);
    send(collector, '/after', 15);
    await collector.flush();
    expect(Object.fromEntries(byRoute(second.points))).toEqual({ '/window': 25, '/after': 15 });
    expect(second.accepted.every((request) => request.headers['signoz-ingestion-key'] === 'fixed')).toBe(true);
    expect(first.accepted).toEqual([]);
    // What was refused before the change stays dropped and counted, never sent again.
    expect(collector.stats().export.droppedDataPoints).toBe(refused);
  });

  it('rejects an invalid change naming the option, and changes nothing', async () => {
    const { collector, first, second } = await pipeline();
    const before = collector.options;
    await expect(collector.configure({ otlp: { exportIntervalMillis: 5 } })).rejects.toThrow(
      new RangeError('options.otlp.exportIntervalMillis must be an integer from 100 to 86400000 (got 5)'),
    );
    await expect(collector.configure({ otlp: { endpoint: second.url, batchSize: 'many' as unknown as number } })).rejects.toThrow(
      new TypeError('options.otlp.batchSize must be a number (got "many")'),
    );
    await expect(collector.configure({ otlp: { endpoint: 'ftp://example.com/v1/metrics' } })).rejects.toThrow(RangeError);
    await expect(collector.configure({ otlp: { endpoit: second.url } as never })).rejects.toThrow(/endpoit/);
    // The caps may shrink, not grow past what the string table was sized for.
    await expect(collector.configure({ maxTenants: 20_000 })).rejects.toThrow(
      /options\.maxTenants cannot grow past its value at creation \(10000\)/,
    );
    expect(collector.options).toBe(before);
    expect(collector.options.otlp.endpoint).toBe(first.url);

    send(collector, '/still-old', 7);
    await collector.flush();
    expect(byRoute(first.points).get('/still-old')).toBe(7);
    expect(second.requests).toEqual([]);
  });

  it('refuses options that need a restart, naming them', async () => {
    const { collector } = await pipeline();
    const error = await collector.configure({ workers: 2, ringCapacity: 1_024, otlp: { batchSize: 10 } } as never).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(
      'options.workers, options.ringCapacity cannot change on a running collector (they need a restart); ' +
        'configure() changes otlp, exporters, metrics, maxTenants, maxRoutes, maxSqlTexts, runtimeMetricsIntervalMillis, ' +
        'workerHangMillis, shutdownTimeoutMillis',
    );
    expect(collector.options.otlp.batchSize).toBe(512);
    await expect(collector.configure({ seriesIdleMillis: 5_000 } as never)).rejects.toThrow(
      new TypeError(
        'options.seriesIdleMillis cannot change on a running collector (it needs a restart); ' +
          'configure() changes otlp, exporters, metrics, maxTenants, maxRoutes, maxSqlTexts, runtimeMetricsIntervalMillis, ' +
          'workerHangMillis, shutdownTimeoutMillis',
      ),
    );
  });

  it('rejects configure() after shutdown()', async () => {
    const { collector } = await pipeline();
    await collector.shutdown();
    await expect(collector.configure({ otlp: { batchSize: 10 } })).rejects.toThrow(/after shutdown/);
  });

  it('applies batchSize and a lower maxTenants at once', async () => {
    const { collector, first } = await pipeline();
    await collector.configure({ otlp: { batchSize: 2 }, maxTenants: 2 });
    expect(collector.options.maxTenants).toBe(2);
    for (const tenantId of ['a', 'b', 'c', 'd']) {
      collector.recordHttp({ method: 'GET', route: '/t', statusCode: 200, tenantId, durationSeconds: 0.001 });
    }
    await collector.flush();
    const tenants = pointsNamed(first.points, 'http_requests_total').map((point) => [point.attributes.tenant_id, point.value]);
    expect(Object.fromEntries(tenants)).toEqual({ a: 1, b: 1, __overflow__: 2 });
    // Two data points per request at most.
    expect(Math.max(...first.accepted.map((request) => request.points.length))).toBe(2);
  });

  it('a replacement worker starts with the configured settings, not the original ones', async () => {
    const { collector, first, second } = await pipeline();
    await collector.configure({
      otlp: { endpoint: second.url, batchSize: 3 },
      metrics: { tenant: false },
      exporters: ['otlp', 'prometheus'],
    });
    await internals(collector).testHooks.killWorker(0);
    send(collector, '/after-restart', 9);
    await collector.flush();
    expect(byRoute(second.points).get('/after-restart')).toBe(9);
    expect(byRoute(first.points).has('/after-restart')).toBe(false);
    // The families reached the replacement too: no tenant_* rows derived from the requests.
    expect(pointsNamed(second.points, 'tenant_api_calls_total')).toEqual([]);
    expect(Math.max(...second.accepted.map((request) => request.points.length))).toBeLessThanOrEqual(3);
    expect(collector.stats().workers.restarts).toBe(1);
  });

  it('reports the connectivity check of a reachable and an unreachable endpoint in /health, without credentials', async () => {
    const { collector, second } = await pipeline();
    const app = new Hono();
    app.route('/', operationsRoutes(collector));
    const health = async () => ((await (await app.request('/health')).json()) as any).services.signoz_export.configuration;
    expect((await health()).connectivity).toBeNull();

    const reachable = second.url.replace('http://', 'http://user:s3cret@');
    await collector.configure({ otlp: { endpoint: `${reachable}?key=k3y`, headers: { authorization: 'Bearer t0ken' } } });
    await waitFor(() => collector.stats().export.connectivity?.status !== 'pending', 5_000, 'the check of the reachable endpoint');
    const ok = await health();
    expect(ok.endpoint).toBe(second.url);
    expect(ok.connectivity).toEqual({ status: 'reachable', checked_at: expect.any(String), error: null });
    // The check is an empty export, sent with the configured headers.
    expect(second.requests.at(-1)?.points).toEqual([]);
    expect(second.requests.at(-1)?.headers.authorization).toBe('Bearer t0ken');

    const port = await freePort();
    await collector.configure({ otlp: { endpoint: `http://user:s3cret@127.0.0.1:${port}/v1/metrics`, timeoutMillis: 500 } });
    await waitFor(() => collector.stats().export.connectivity?.status !== 'pending', 5_000, 'the check of the unreachable endpoint');
    const failed = await health();
    expect(failed.endpoint).toBe(`http://127.0.0.1:${port}/v1/metrics`);
    expect(failed.connectivity).toEqual({
      status: 'unreachable',
      checked_at: expect.any(String),
      error: expect.stringMatching(/ECONNREFUSED/),
    });
    const body = JSON.stringify(await (await app.request('/health')).json());
    expect(body).not.toMatch(/s3cret|k3y|t0ken/);
    expect(collector.health().reasons).toContainEqual(expect.stringMatching(/failed its connectivity check/));
    // Back to a reachable endpoint before the afterEach shutdown.
    await collector.configure({ otlp: { endpoint: second.url } });
  });
});
