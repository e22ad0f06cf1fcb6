import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { Collector } from 'ringmeter';
import { honoMetrics } from 'ringmeter/hono';
import { internals, SYSTEM_ID } from 'ringmeter/internal';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { pointsNamed, startPipeline } from './support/harness.js';
import { type LocalServer, serveLocally } from './support/node-server.js';
import { exchange } from './support/http-client.js';

describe('honoMetrics on a real @hono/node-server', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let server: LocalServer;
  let port: number;

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.post('/json', async (c) => c.json({ received: await c.req.json(), note: 'ünïcödé ✓' }));
    app.get('/text', (c) => c.text('plain text body'));
    app.get('/stream', (c) =>
      stream(c, async (s) => {
        for (let i = 0; i < 5; i++) {
          await s.write(`chunk ${i} ${'x'.repeat(i * 100)}\n`);
          await s.sleep(2);
        }
      }),
    );
    app.post('/upload', async (c) => {
      const body = await c.req.arrayBuffer();
      return c.text(`got ${body.byteLength}`);
    });
    app.get('/empty', (c) => c.body(null, 204));
    server = await serveLocally(app);
    port = server.port;
  });

  afterAll(async () => {
    await server.close();
    await collector.shutdown();
    await receiver.stop();
  });

  it('counts request and response body bytes exactly as the client sent and received them', async () => {
    const jsonBody = JSON.stringify({ order: 42, items: ['a', 'b'], note: 'ßø' });
    const sent: Record<string, number> = {};
    const received: Record<string, number> = {};
    const json = await exchange(port, 'POST', '/json', {
      body: jsonBody,
      headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme' },
    });
    sent['/json'] = Buffer.byteLength(jsonBody);
    received['/json'] = json.body.length;
    const text = await exchange(port, 'GET', '/text', { headers: { 'x-tenant-id': 'acme' } });
    received['/text'] = text.body.length;
    const streamed = await exchange(port, 'GET', '/stream', { headers: { 'x-tenant-id': 'acme' } });
    expect(streamed.headers['transfer-encoding']).toBe('chunked');
    received['/stream'] = streamed.body.length;
    const chunks = ['first chunk|', 'ü'.repeat(500), '|last'];
    const upload = await exchange(port, 'POST', '/upload', { chunks, headers: { 'x-tenant-id': 'acme' } });
    sent['/upload'] = Buffer.byteLength(chunks.join(''));
    expect(upload.body.toString()).toBe(`got ${sent['/upload']}`);
    received['/upload'] = upload.body.length;
    const empty = await exchange(port, 'GET', '/empty', { headers: { 'x-tenant-id': 'acme' } });
    expect(empty.status).toBe(204);
    received['/empty'] = 0;
    const head = await exchange(port, 'HEAD', '/text', { headers: { 'x-tenant-id': 'acme' } });
    expect(head.body.length).toBe(0);

    await collector.flush();
    const sizes = (metric: string) =>
      Object.fromEntries(
        pointsNamed(receiver.points, metric)
          .filter((p) => p.attributes.method !== 'HEAD')
          .map((p) => [p.attributes.route, p.sum]),
      );
    expect(sizes('http_response_size_bytes')).toEqual(received);
    expect(sizes('http_request_size_bytes')).toEqual({
      '/json': sent['/json'],
      '/text': 0,
      '/stream': 0,
      '/upload': sent['/upload'],
      '/empty': 0,
    });
    const headSize = pointsNamed(receiver.points, 'http_response_size_bytes').find((p) => p.attributes.method === 'HEAD');
    expect(headSize?.sum).toBe(0);
    const processed = Object.fromEntries(
      pointsNamed(receiver.points, 'tenant_data_processed_bytes').map((p) => [p.attributes.data_type, p.value]),
    );
    expect(processed).toEqual({
      request: sent['/json'] + sent['/upload'],
      response: Object.values(received).reduce((sum, n) => sum + n, 0),
    });
    // The streamed response is timed until its last byte: five chunks, 2 ms apart.
    const [streamDuration] = pointsNamed(receiver.points, 'http_request_duration_seconds').filter((p) => p.attributes.route === '/stream');
    expect(streamDuration.min).toBeGreaterThanOrEqual(0.008);
  });
});

describe('tenant context for code inside the request', () => {
  it('reaches code awaited inside the handler and never leaks between concurrent requests', async () => {
    const { collector, receiver } = await startPipeline();
    const scope = internals(collector).requestScope;
    // What a database hook does when it attaches.
    scope.enable();
    const seen: Array<[string, string]> = [];
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.get('/work/:n', async (c) => {
      const expected = c.req.header('x-tenant-id') ?? '';
      for (let hop = 0; hop < 3; hop++) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        await Promise.resolve();
        seen.push([expected, labelOf(scope.current())]);
      }
      return c.text('ok');
    });
    // Map a tenant string id back to its tenant: every id the test uses is interned in order below.
    const tenants = Array.from({ length: 50 }, (_, i) => `tenant-${i}`);
    const ids = new Map(tenants.map((tenant) => [internals(collector).labels.tenantId(tenant, 'test'), tenant]));
    const labelOf = (id: number) => ids.get(id) ?? `id:${id}`;

    const server = await serveLocally(app);
    const port = server.port;
    await Promise.all(
      tenants.flatMap((tenant, i) => [
        exchange(port, 'GET', `/work/${i}`, { headers: { 'x-tenant-id': tenant } }),
        Promise.resolve(app.request(`/work/${i}`, { headers: { 'x-tenant-id': tenant } })),
      ]),
    );
    expect(seen).toHaveLength(tenants.length * 2 * 3);
    for (const [expected, actual] of seen) expect(actual).toBe(expected);
    // Outside any request: the system tenant.
    expect(scope.current()).toBe(SYSTEM_ID);
    await server.close();
    await collector.shutdown();
    await receiver.stop();
  });
});
