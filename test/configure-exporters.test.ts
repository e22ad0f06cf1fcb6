import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { operationsRoutes } from 'ringmeter/hono';
import { pointsNamed, startPipeline, waitFor } from './support/harness.js';
import { OtlpReceiver, type ReceivedPoint } from './support/otlp-receiver.js';

/**
 * configure({ exporters }) on a running collector: real workers, two test receivers, the console exporter's output
 * as the main thread writes it, and GET /metrics. Each window goes, once, to the exporters active when it was
 * recorded; the Prometheus totals count every record since start.
 */

let collector: Collector | undefined;
const receivers: OtlpReceiver[] = [];
/** The console exporter's lines, taken from process.stdout while a test runs. */
const printed: string[] = [];
const writeToStdout = process.stdout.write;

beforeEach(() => {
  process.stdout.write = function capture(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && chunk.startsWith('[ringmeter]')) {
      printed.push(...chunk.trimEnd().split('\n'));
      return true;
    }
    return (writeToStdout as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
});

afterEach(async () => {
  await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
  collector = undefined;
  process.stdout.write = writeToStdout;
  printed.length = 0;
  for (const receiver of receivers.splice(0)) await receiver.stop();
});

function send(target: Collector, route: string, count: number): void {
  for (let i = 0; i < count; i++) {
    target.recordHttp({ method: 'GET', route, statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
  }
}

function byRoute(points: ReceivedPoint[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const point of pointsNamed(points, 'http_requests_total')) {
    const route = String(point.attributes.route);
    result[route] = (result[route] ?? 0) + (point.value ?? 0);
  }
  return result;
}

/** The console's per-route lines, as [route, requests], in the order printed. */
function printedRoutes(): [string, number][] {
  return printed.flatMap((line) => {
    const match = /^\[ringmeter\] {3}route GET (\S+): (\d+) requests/.exec(line);
    return match === null ? [] : [[match[1], Number(match[2])] as [string, number]];
  });
}

describe('configure({ exporters }) on a running collector', () => {
  it('otlp → console → otlp: each window goes once to the exporters it was recorded under; Prometheus totals count on', async () => {
    const started = await startPipeline({ otlp: { timeoutMillis: 2_000 } });
    collector = started.collector;
    const first = started.receiver;
    const second = await new OtlpReceiver().start();
    receivers.push(first, second);
    const app = new Hono();
    app.route('/', operationsRoutes(started.collector));

    send(started.collector, '/a', 6);
    await started.collector.flush();
    // Recorded under otlp, still aggregated when the switch comes: handed over to otlp first.
    send(started.collector, '/a-late', 4);
    await started.collector.configure({ exporters: ['console'] });
    expect(started.collector.options.exporters).toEqual(['console']);
    expect(byRoute(first.points)).toEqual({ '/a': 6, '/a-late': 4 });
    expect(printedRoutes()).toEqual([]);

    send(started.collector, '/b', 5);
    await started.collector.flush();
    send(started.collector, '/b-late', 3);
    const requestsBeforeSwitch = first.requests.length;
    await started.collector.configure({ exporters: ['otlp'], otlp: { endpoint: second.url } });
    // configure() starts the new endpoint's connectivity check and returns; the check's empty export and the next
    // flush race to the receiver. Waiting for the check's verdict puts its request first, as a user reading /health
    // would see it.
    await waitFor(() => started.collector.stats().export.connectivity?.status === 'reachable', 5_000, 'the connectivity check');
    // Recorded under console: printed by the hand-over, never sent to either receiver.
    expect(printedRoutes()).toEqual([
      ['/b', 5],
      ['/b-late', 3],
    ]);
    expect(first.requests.length).toBe(requestsBeforeSwitch);

    send(started.collector, '/c', 7);
    await started.collector.flush();
    expect(byRoute(first.points)).toEqual({ '/a': 6, '/a-late': 4 });
    expect(byRoute(second.points)).toEqual({ '/c': 7 });
    expect(printedRoutes()).toHaveLength(2);
    // otlp joined the exporters: the new endpoint was checked with one empty export, then took the window.
    expect(second.requests.map((request) => request.points.length === 0)).toEqual([true, false]);

    // GET /metrics: cumulative since start, whatever exported each window.
    const text = await (await app.request('/metrics')).text();
    for (const [route, count] of [
      ['/a', 6],
      ['/a-late', 4],
      ['/b', 5],
      ['/b-late', 3],
      ['/c', 7],
    ] as const) {
      expect(text).toContain(`http_requests_total{method="GET",route="${route}",status_code="200",tenant_id="acme"} ${count}\n`);
    }
  });

  it('from a failing otlp to prometheus: the window the backend never took is carried to the totals, not dropped', async () => {
    const started = await startPipeline({ otlp: { timeoutMillis: 500 } });
    collector = started.collector;
    receivers.push(started.receiver);
    const app = new Hono();
    app.route('/', operationsRoutes(started.collector));
    started.receiver.respond = () => ({ status: 401 });
    send(started.collector, '/refused', 2);
    await expect(started.collector.flush()).rejects.toThrow(/401/);
    send(started.collector, '/window', 9);
    await started.collector.configure({ exporters: ['prometheus'] });
    send(started.collector, '/after', 1);
    await started.collector.flush();
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('http_requests_total{method="GET",route="/window",status_code="200",tenant_id="acme"} 9\n');
    expect(text).toContain('http_requests_total{method="GET",route="/after",status_code="200",tenant_id="acme"} 1\n');
    // Refused for good under the old key, before the change: dropped and counted, as any 401 is.
    expect(started.collector.stats().export.droppedDataPoints).toBeGreaterThan(0);
    expect(started.receiver.accepted).toEqual([]);
    expect(started.receiver.requests).toHaveLength(1);
  });
});
