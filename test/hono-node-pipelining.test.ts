import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { Collector } from 'ringmeter';
import { honoMetrics } from 'ringmeter/hono';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { pointsNamed, startPipeline, valuesByLabels } from './support/harness.js';
import { type LocalServer, serveLocally } from './support/node-server.js';

// On node-server an exchange waits for its response's finish in a queue per connection (src/http/node-exchange.ts).
// Pipelined requests put several exchanges in one queue at once, with handlers that complete out of order: each
// must still be recorded once, with its own tenant, status and size.

/** Sends `requests` back to back on one connection and resolves with everything the server sent once it closes. */
function pipeline(port: number, requests: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.write(requests.join(''));
  });
}

function get(path: string, tenant: string, last = false): string {
  return `GET ${path} HTTP/1.1\r\nHost: test\r\nX-Tenant-Id: ${tenant}\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
}

describe('pipelined requests on one @hono/node-server connection', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let server: LocalServer;
  let port: number;

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono();
    app.use(honoMetrics(collector));
    // The first request's handler finishes last: Node holds the later responses until it is sent.
    app.get('/slow', async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 60));
      return c.text('s'.repeat(11));
    });
    app.get('/fast/:n', (c) => c.text('f'.repeat(Number(c.req.param('n')))));
    app.get('/missing', (c) => c.text('gone', 410));
    server = await serveLocally(app);
    port = server.port;
  });

  afterAll(async () => {
    await server.close();
    await collector.shutdown();
    await receiver.stop();
  });

  it('records each once, with its own tenant, status and body size, whatever order the handlers end in', async () => {
    const text = await pipeline(port, [
      get('/slow', 'alpha'),
      get('/fast/5', 'beta'),
      get('/missing', 'gamma'),
      get('/fast/7', 'beta', true),
    ]);
    // The client got the four responses, in order.
    expect(text.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 410', 'HTTP/1.1 200']);
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual({
      'method=GET,route=/slow,status_code=200,tenant_id=alpha': 1,
      'method=GET,route=/fast/:n,status_code=200,tenant_id=beta': 2,
      'method=GET,route=/missing,status_code=410,tenant_id=gamma': 1,
    });
    const sizes = Object.fromEntries(
      pointsNamed(receiver.points, 'http_response_size_bytes').map((point) => [point.attributes.route, [point.count, point.sum]]),
    );
    expect(sizes).toEqual({ '/slow': [1, 11], '/fast/:n': [2, 12], '/missing': [1, 4] });
    expect(collector.stats().rejected).toBe(0);
  });
});
