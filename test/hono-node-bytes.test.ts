import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import type { Collector } from 'ringmeter';
import { honoMetrics } from 'ringmeter/hono';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { pointsNamed, startPipeline, waitFor } from './support/harness.js';
import { type LocalServer, serveLocally } from './support/node-server.js';

// Response sizes on node-server come from the length Node sent, or, for bodies of unknown length, from counting
// the writes (see src/http/node-exchange.ts). These cases cover each way a body reaches Node, over one keep-alive
// connection, so that reused per-request slots are exercised too.

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { 'x-tenant-id': 'acme' } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('response sizes on @hono/node-server, every kind of body', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let server: LocalServer;
  let port: number;

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.use('/late-header/*', async (c, next) => {
      await next();
      // Setting a header after the handler turns node-server's lightweight Response into a real one.
      c.header('x-late', '1');
    });
    app.get('/bytes', (c) => c.body(new Uint8Array(3_000).fill(65)));
    app.get('/late-header/json', (c) => c.json({ text: 'é'.repeat(700) }));
    app.get('/web-stream', () => {
      const encoder = new TextEncoder();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent === 4) return controller.close();
          await new Promise((resolve) => setTimeout(resolve, 1));
          controller.enqueue(encoder.encode(`part ${sent++} ${'ü'.repeat(300)}\n`));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/plain' } });
    });
    app.get('/raw', (c) => {
      // The app writes the Node response itself, a chunk at a time, and tells node-server it did. (Without a
      // Content-Length, such a body would be sent chunked before the middleware could watch it: see docs/hono.md.)
      const outgoing = (c.env as { outgoing: import('node:http').ServerResponse }).outgoing;
      outgoing.writeHead(200, { 'content-type': 'text/plain', 'content-length': '7' });
      outgoing.write('one ');
      outgoing.end('two');
      return RESPONSE_ALREADY_SENT;
    });
    app.get('/slow', async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 80));
      return c.text('too late');
    });
    server = await serveLocally(app);
    port = server.port;
  });

  afterAll(async () => {
    agent.destroy();
    await server.close();
    await collector.shutdown();
    await receiver.stop();
  });

  it('records the body bytes the client received, for each route, twice over one connection', async () => {
    const received: Record<string, number> = {};
    for (let pass = 0; pass < 2; pass++) {
      for (const path of ['/bytes', '/late-header/json', '/web-stream', '/raw']) {
        received[path] = (received[path] ?? 0) + (await get(port, path));
      }
    }
    await collector.flush();
    const sums = Object.fromEntries(pointsNamed(receiver.points, 'http_response_size_bytes').map((p) => [p.attributes.route, p.sum]));
    const counts = Object.fromEntries(pointsNamed(receiver.points, 'http_response_size_bytes').map((p) => [p.attributes.route, p.count]));
    expect(received['/bytes']).toBe(6_000);
    expect(sums).toEqual(received);
    expect(counts).toEqual({ '/bytes': 2, '/late-header/json': 2, '/web-stream': 2, '/raw': 2 });
  });

  it('records a request whose client left while the handler ran', async () => {
    const written = collector.stats().ring.written;
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/slow', headers: { 'x-tenant-id': 'acme' } });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => req.destroy(), 20);
    });
    // Until the handler has finished (80 ms) and its request is recorded: polled, not a guessed 200 ms.
    await waitFor(() => collector.stats().ring.written > written, 10_000, 'the left request to be recorded');
    await collector.flush();
    const slow = pointsNamed(receiver.points, 'http_response_size_bytes').filter((p) => p.attributes.route === '/slow');
    expect(slow.map((p) => [p.count, p.sum])).toEqual([[1, 0]]);
  });
});
