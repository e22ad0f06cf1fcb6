import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createCollector, type Collector } from 'ringmeter';
import { operationsRoutes } from 'ringmeter/hono';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { total } from './support/harness.js';

const distIndex = fileURLToPath(new URL('../dist/src/index.js', import.meta.url));

/**
 * The scripted interval: acme 18 fast GETs and 2 slow 500s, globex 5 POSTs; 3 selects and 1 failed insert. Run in
 * the child (console output) and in this process alike.
 */
const SCRIPT_RECORDS = `
  for (let i = 0; i < 18; i++) collector.recordHttp({ method: 'GET', route: '/users/:id', statusCode: 200, tenantId: 'acme', durationSeconds: 0.003 });
  for (let i = 0; i < 2; i++) collector.recordHttp({ method: 'GET', route: '/users/:id', statusCode: 500, tenantId: 'acme', durationSeconds: 0.2 });
  for (let i = 0; i < 5; i++) collector.recordHttp({ method: 'POST', route: '/orders', statusCode: 201, tenantId: 'globex', durationSeconds: 0.04 });
  for (let i = 0; i < 3; i++) collector.recordQuery({ queryType: 'SELECT', table: 'users', tenantId: 'acme', durationSeconds: 0.002 });
  collector.recordQuery({ queryType: 'INSERT', table: 'orders', tenantId: 'globex', durationSeconds: 0.02, success: false, sqlState: '23505' });
`;

function record(collector: Collector): void {
  new Function('collector', SCRIPT_RECORDS)(collector);
}

/** The console lines of the scripted interval, then of the empty one that shutdown() exports. */
const EXPECTED_CONSOLE = [
  '[ringmeter] <time>: 25 requests, 2 5xx (8.0%), p95<=250ms; 4 queries, 1 failed, p95<=25ms; records 29 written, 0 overflowed, 0 dropped; 0 series overflowed',
  '[ringmeter]   tenant acme: 20 requests, 2 5xx (10.0%), p95<=250ms',
  '[ringmeter]   tenant globex: 5 requests, 0 5xx (0.0%), p95<=50ms',
  '[ringmeter]   route GET /users/:id: 20 requests, 2 5xx (10.0%), p95<=250ms',
  '[ringmeter]   route POST /orders: 5 requests, 0 5xx (0.0%), p95<=50ms',
  '[ringmeter]   query SELECT users: 3 queries, p95<=5ms',
  '[ringmeter]   query INSERT orders: 1 queries, p95<=25ms',
  '[ringmeter] <time>: 0 requests, 0 5xx (0.0%), p95 -; 0 queries, 0 failed, p95 -; records 0 written, 0 overflowed, 0 dropped; 0 series overflowed',
];

/**
 * Runs a collector with `options` in a child process over the scripted records; resolves with its stdout. With
 * `beforeShutdown`, the child waits after its flush until that has run (told on seeing the flush's outcome).
 */
async function runChild(options: string, beforeShutdown?: () => void): Promise<string> {
  const script = `
    import { createCollector } from ${JSON.stringify(distIndex)};
    const collector = createCollector({ env: {}, metrics: { runtime: false }, ${options} });
    ${SCRIPT_RECORDS}
    await collector.flush().then(() => console.log('flushed'), () => console.log('flush failed'));
    ${beforeShutdown === undefined ? '' : "await new Promise((resolve) => process.stdin.once('data', resolve));"}
    await collector.shutdown();
    console.log('done');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    if (beforeShutdown !== undefined && /^flush/m.test(stdout) && !child.stdin.writableEnded) {
      beforeShutdown();
      child.stdin.end('go\n');
    }
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout;
}

/** The console lines with each summary's timestamp replaced, checked to be an ISO time. */
function normalise(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.replace(/^\[ringmeter\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/, '[ringmeter] <time>'));
}

describe('exporters: console', () => {
  it('prints a summary of each interval from the worker, through the main thread, in order', async () => {
    const stdout = await runChild(
      `exporters: ['console'], otlp: { exportIntervalMillis: 3_600_000, endpoint: 'http://127.0.0.1:9/v1/metrics' }`,
    );
    const lines = normalise(stdout);
    // The interval's summary arrives before flush() resolves; the one shutdown() exports before it does.
    expect(lines).toEqual([...EXPECTED_CONSOLE.slice(0, 7), 'flushed', EXPECTED_CONSOLE[7], 'done']);
  });

  it('with several workers, prints one whole summary per shard, the shard named, the requests counted once', async () => {
    const stdout = await runChild(
      `workers: 2, exporters: ['console'], otlp: { exportIntervalMillis: 3_600_000, endpoint: 'http://127.0.0.1:9/v1/metrics' }`,
    );
    const lines = normalise(stdout).filter((line) => line !== 'flushed' && line !== 'done');
    const headers = lines.filter((line) => !line.startsWith('[ringmeter]   '));
    // Two shards, two exports each (flush, shutdown); every header names its shard.
    expect(headers).toHaveLength(4);
    for (const header of headers) expect(header).toMatch(/^\[ringmeter\] <time> shard [01]: \d+ requests, /);
    const requests = headers.reduce((sum, header) => sum + Number(/: (\d+) requests/.exec(header)?.[1]), 0);
    expect(requests).toBe(25);
    const tenants = lines.filter((line) => line.startsWith('[ringmeter]   tenant ')).sort();
    expect(tenants).toEqual(EXPECTED_CONSOLE.slice(1, 3));
  });

  it('with otlp,console, the backend and the console each get the interval once', async () => {
    const receiver = await new OtlpReceiver().start();
    try {
      const stdout = await runChild(
        `exporters: ['otlp', 'console'], otlp: { exportIntervalMillis: 3_600_000, endpoint: ${JSON.stringify(receiver.url)} }`,
      );
      expect(normalise(stdout)).toEqual([...EXPECTED_CONSOLE.slice(0, 7), 'flushed', EXPECTED_CONSOLE[7], 'done']);
      expect(total(receiver.points, 'http_requests_total')).toBe(25);
      expect(total(receiver.points, 'http_requests_total', { tenant_id: 'acme', status_code: 500 })).toBe(2);
      expect(total(receiver.points, 'db_queries_total')).toBe(4);
    } finally {
      await receiver.stop();
    }
  });

  it('with otlp,console, a batch the backend asks to retry is shown once, when it settles', async () => {
    const receiver = await new OtlpReceiver().start();
    let failing = true;
    receiver.respond = () => (failing ? { status: 503 } : { status: 200 });
    try {
      const stdout = await runChild(
        `exporters: ['otlp', 'console'], otlp: { exportIntervalMillis: 3_600_000, timeoutMillis: 300, endpoint: ${JSON.stringify(receiver.url)} }`,
        () => {
          failing = false;
        },
      );
      // Nothing printed while the batch was pending; shutdown's export settles it, and it is printed then, once.
      expect(normalise(stdout)).toEqual(['flush failed', ...EXPECTED_CONSOLE.slice(0, 7), 'done']);
      expect(total(receiver.points, 'http_requests_total')).toBe(25);
    } finally {
      await receiver.stop();
    }
  });
});

describe('exporters without OTLP', () => {
  let collector: Collector | undefined;
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
    await receiver?.stop();
  });

  async function start(exporters: ('prometheus' | 'none')[]): Promise<Collector> {
    receiver = await new OtlpReceiver().start();
    collector = createCollector({
      env: {},
      exporters,
      metrics: { runtime: false },
      otlp: { endpoint: receiver.url, exportIntervalMillis: 3_600_000 },
    });
    return collector;
  }

  it('prometheus: no OTLP request, and /metrics has the exact totals across intervals', async () => {
    const c = await start(['prometheus']);
    const app = new Hono();
    app.route('/', operationsRoutes(c));
    record(c);
    await c.flush();
    record(c);
    // Half settled into the totals, half pending: each counted once.
    let text = await (await app.request('/metrics')).text();
    expect(text).toContain('http_requests_total{method="GET",route="/users/:id",status_code="500",tenant_id="acme"} 4\n');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/users/:id",tenant_id="acme"} 40\n');
    await c.flush();
    text = await (await app.request('/metrics')).text();
    expect(text).toContain('http_requests_total{method="GET",route="/users/:id",status_code="200",tenant_id="acme"} 36\n');
    expect(text).toContain('http_requests_total{method="POST",route="/orders",status_code="201",tenant_id="globex"} 10\n');
    expect(text).toContain('db_queries_total{query_type="SELECT",success="true",tenant_id="acme"} 6\n');
    expect(text).toContain('db_queries_total{query_type="INSERT",success="false",tenant_id="globex",error_class="23"} 2\n');
    expect(receiver?.requests).toHaveLength(0);
    const stats = c.stats();
    expect([stats.export.attempts, stats.export.succeeded, stats.export.failed]).toEqual([0, 0, 0]);
    expect(c.health().status).toBe('ok');
  });

  it('none: nothing is sent, flush() resolves, and health stays ok', async () => {
    const c = await start(['none']);
    record(c);
    await c.flush();
    await c.flush();
    expect(receiver?.requests).toHaveLength(0);
    const health = c.health();
    expect(health.status).toBe('ok');
    expect(health.reasons).toEqual([]);
    expect(health.stats.export.lastError).toBeUndefined();
    expect(health.stats.export.attempts).toBe(0);
  });
});
