import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/harness.js';

const demo = fileURLToPath(new URL('../dist/examples/demo.js', import.meta.url));

/** A running demo child process and what it has printed so far. */
interface Demo {
  child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every demo started, so that one a failed test left running is ended (afterAll). */
const started = new Set<ChildProcessWithoutNullStreams>();

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts the demo with no PostgreSQL reachable: no DATABASE_URL, and libpq-style PG* variables pointing nowhere. */
function startDemo(env: Record<string, string>): Demo {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_') && name !== 'DATABASE_URL'));
  const child = spawn(process.execPath, [demo], {
    env: { ...clean, PGHOST: '127.0.0.9', PGPORT: '1', PGUSER: 'nobody', PGDATABASE: 'nowhere', ...env },
  });
  started.add(child);
  const running: Demo = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout.on('data', (chunk: Buffer) => {
    running.stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    running.stderr += chunk.toString('utf8');
  });
  return running;
}

/**
 * Resolves once the demo has printed `text` (at or after offset `from` of its output), rejects if it exits first. Readiness is the demo's own output, not a
 * deadline: a demo that starts slowly on a loaded machine (PGlite compiles its WebAssembly, the worker loads) is
 * waited for as long as the test's own timeout allows.
 */
function printed(running: Demo, text: string, from = 0): Promise<void> {
  const seen = () => running.stdout.indexOf(text, from) !== -1;
  if (seen()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (!seen()) return;
      running.child.off('exit', onExit);
      resolve();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      running.child.stdout.off('data', onData);
      reject(new Error(`the demo exited (${code ?? signal}) before printing ${JSON.stringify(text)}:\n${running.stdout}${running.stderr}`));
    };
    // Listeners added after startDemo's own: `running.stdout` already holds the chunk when this one runs.
    running.child.stdout.on('data', onData);
    running.child.once('exit', onExit);
  });
}

function printedUrl(output: string, label: string): string {
  const match = new RegExp(`${label}\\s+.*?(http://127\\.0\\.0\\.1:\\d+)`).exec(output);
  if (match === null) throw new Error(`no ${label} URL in:\n${output}`);
  return match[1];
}

/** One raw HTTP exchange (node:http, so that a refusal mid-upload still shows its status). */
function exchange(
  url: string,
  method: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // A connection of its own per exchange: garbage may leave the server closing a socket a keep-alive agent would reuse.
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // A server that answers before the whole body is in may close the socket under the upload: the answer counts.
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(Object.assign(new Error(`${method} ${url}: ${error.message}`), { code: error.code })),
    );
    req.on('socket', (socket) => socket.on('error', () => {}));
    req.end(body);
  });
}

/**
 * An upload the server refuses for its size: it answers 413 and closes the socket under the rest of the upload, and
 * depending on timing the client reads the 413 or only sees the connection closed. Either is a refusal; what matters
 * is that the server answers the next request (checked below).
 */
async function oversized(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<number | 'closed'> {
  try {
    return (await exchange(url, 'POST', body, headers)).status;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'EPIPE' || (error as Error).message.endsWith('socket hang up')) return 'closed';
    throw error;
  }
}

/** Sends one line of raw bytes over TCP; resolves with whatever the server answers before closing. */
function rawLine(url: string, line: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write(line));
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
  });
}

// Concurrent: each test runs demo processes of its own (its own port, its own embedded database) and mostly waits.
describe.concurrent('the demo (npm start) on the embedded database', () => {
  it('answers its API, survives garbage on every port it opens, and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    // An export every second: the test needs one interval summary after the garbage. It stops the demo itself
    // when done (the bounded run is the next test's), so a loaded machine only makes it slower, never red.
    const running = startDemo({ PORT: String(port), DEMO_EXPORT_SECONDS: '1' });
    await printed(running, 'runs ');
    const api = printedUrl(running.stdout, 'API');
    expect(api).toBe(`http://127.0.0.1:${port}`);
    // No OTLP endpoint set: the console exporter, and no port but the API's.
    expect(running.stdout).toContain('metrics to        the console, every interval (set OTEL_EXPORTER_OTLP_ENDPOINT for SigNoz)');
    expect(running.stdout).toContain('stored in         PGlite, the embedded PostgreSQL (Drizzle over instrumentPglite)');

    // The demo API, on the embedded database.
    const index = await exchange(`${api}/`, 'GET');
    expect(index.status).toBe(200);
    expect(JSON.parse(index.text).routes).toContain('GET /api/orders');
    const created = await exchange(`${api}/api/orders?tenant=test-suite`, 'POST', '{"sku":"T-1","qty":3}', {
      'content-type': 'application/json',
    });
    expect(created.status).toBe(201);
    const order = JSON.parse(created.text) as { id: number };
    expect(order).toEqual({ id: order.id, tenant: 'test-suite', sku: 'T-1', qty: 3 });
    expect(JSON.parse((await exchange(`${api}/api/orders/${order.id}`, 'GET', undefined, { 'x-tenant-id': 'test-suite' })).text)).toEqual(
      order,
    );
    expect(JSON.parse((await exchange(`${api}/api/orders?tenant=test-suite`, 'GET')).text)).toEqual([order]);
    // The check constraint refuses it in the database; the transaction rolls back.
    expect((await exchange(`${api}/api/orders?tenant=test-suite`, 'POST', '{"sku":"T-1","qty":0}')).status).toBe(422);

    // The operations endpoints it mounts, with the URLs it prints; their requests are not the API's traffic.
    expect(printedUrl(running.stdout, 'dashboard')).toBe(api);
    expect(running.stdout).toContain(`health            ${api}/health`);
    expect(running.stdout).toContain(`prometheus        ${api}/metrics`);
    const health = await exchange(`${api}/health`, 'GET');
    expect(health.status).toBe(200);
    expect(['healthy', 'degraded']).toContain(JSON.parse(health.text).status);
    const dashboard = await exchange(`${api}/metrics/dashboard`, 'GET');
    expect(dashboard.status).toBe(200);
    expect(dashboard.text).toContain('<title>ringmeter dashboard</title>');
    const board = JSON.parse((await exchange(`${api}/metrics/dashboard/data`, 'GET')).text) as { tenants: { tenant: string }[] };
    expect(board.tenants.map(({ tenant }) => tenant)).toContain('test-suite');
    // The analytics API, printed with the others, open to this machine (the demo's authorize: loopback callers).
    expect(running.stdout).toContain(`tenants           ${api}/metrics/tenants   ${api}/metrics/tenants/acme`);
    expect(running.stdout).toContain(`endpoints         ${api}/metrics/endpoints`);
    expect(running.stdout).toContain(`database          ${api}/metrics/database`);
    // The generator's two busiest steady tenants (8 and 20 requests/s), and the test's own. In the first seconds
    // globex's burst can fill the generator's in-flight cap and shed acme's first requests: ask until both are in.
    // Polled until they are, however long a loaded machine takes (the test's timeout bounds it).
    let tenants: { tenant: string; calls: number; activity_pattern: string }[] = [];
    for (;;) {
      const listed = await exchange(`${api}/metrics/tenants`, 'GET');
      expect(listed.status).toBe(200);
      tenants = (JSON.parse(listed.text) as { tenants: typeof tenants }).tenants;
      if (['acme', 'initech'].every((name) => tenants.some(({ tenant }) => tenant === name))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(tenants.map(({ tenant }) => tenant)).toEqual(expect.arrayContaining(['acme', 'initech', 'test-suite']));
    for (const tenant of tenants) expect(tenant.activity_pattern).toBe('onboarding');
    // The test's tenant: the POST that made an order, the GET of it, the GET of the list and the refused POST.
    const own = JSON.parse((await exchange(`${api}/metrics/tenants/test-suite`, 'GET')).text);
    expect(own.calls).toBe(4);
    expect(own.client_errors).toBe(1);
    expect(own.top_endpoints.map((e: { method: string; route: string; calls: number }) => [e.method, e.route, e.calls])).toEqual([
      ['POST', '/api/orders', 2],
      ['GET', '/api/orders', 1],
      ['GET', '/api/orders/:id', 1],
    ]);
    expect(own.database.queries).toBeGreaterThanOrEqual(3);
    const endpoints = JSON.parse((await exchange(`${api}/metrics/endpoints`, 'GET')).text) as { endpoints: { route: string }[] };
    expect(endpoints.endpoints.map(({ route }) => route)).toContain('/api/orders');
    expect(endpoints.endpoints.map(({ route }) => route).filter((route) => route.startsWith('/metrics'))).toEqual([]);
    expect((await exchange(`${api}/metrics/database`, 'GET')).status).toBe(200);
    expect((await exchange(`${api}/metrics/tenants/nobody`, 'GET')).status).toBe(404);
    const metrics = await exchange(`${api}/metrics`, 'GET');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(
      /^http_requests_total\{method="POST",route="\/api\/orders",status_code="201",tenant_id="test-suite"\} 1$/m,
    );
    expect(metrics.text).not.toMatch(/route="\/(health|metrics)/);

    // Garbage on the API port.
    expect((await exchange(`${api}/api/orders`, 'POST', 'this is not json', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await exchange(`${api}/api/orders`, 'POST', '{"sku":')).status).toBe(400);
    expect((await exchange(`${api}/api/orders/not-a-number`, 'GET')).status).toBe(400);
    expect((await exchange(`${api}/api/orders/99999999999999999999`, 'GET')).status).toBe(400);
    expect((await exchange(`${api}/api/orders`, 'DELETE')).status).toBe(404);
    expect([413, 'closed']).toContain(
      await oversized(`${api}/api/orders`, Buffer.alloc(4 * 1024 * 1024, 'x'), { 'content-type': 'application/json' }),
    );
    expect(await rawLine(api, 'GARBAGE \x00\xff\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);

    // Still serving, still exporting: an interval summary naming a busy tenant comes after it all.
    expect((await exchange(`${api}/api/orders?tenant=test-suite`, 'GET')).status).toBe(200);
    await printed(running, '[ringmeter]   tenant ', running.stdout.length);

    running.child.kill('SIGTERM');
    const { code, signal } = await running.exit;
    expect(running.stderr).toBe('');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(running.stdout).toContain('SIGTERM: stopping the traffic, then the collector (final export)…');
    expect(running.stdout).toMatch(/done: \d+ requests sent \(0 failed, \d+ not sent: too many in flight\)/);
    expect(running.stdout).toMatch(/ring: [1-9]\d* written, 0 dropped; workers: 0\/1 running, 0 restarts\n/);
    // The final interval, exported by shutdown(), reaches the console too.
    expect(running.stdout).toMatch(/\[ringmeter\] [^\n]*: \d+ requests, [^\n]*records \d+ written, 0 overflowed, 0 dropped/);
  }, 180_000);

  it('runs until SIGINT (Ctrl+C), or for DEMO_SECONDS, then shuts the collector down and exits 0', async () => {
    const interrupted = (async () => {
      const running = startDemo({ PORT: '0' });
      await printed(running, 'runs              until Ctrl+C');
      running.child.kill('SIGINT');
      expect(await running.exit).toEqual({ code: 0, signal: null });
      expect(running.stdout).toContain('SIGINT: stopping the traffic, then the collector (final export)…');
      expect(running.stdout).toMatch(/workers: 0\/1 running/);
      expect(running.stderr).toBe('');
    })();
    const bounded = (async () => {
      // The bounded time counts from the banner on.
      const running = startDemo({ PORT: '0', DEMO_SECONDS: '2' });
      expect(await running.exit).toEqual({ code: 0, signal: null });
      expect(running.stdout).toContain('runs              2 s (DEMO_SECONDS)');
      expect(running.stdout).toContain('2 s (DEMO_SECONDS) are up: stopping the traffic, then the collector (final export)…');
      expect(running.stdout).toMatch(/done: [1-9]\d* requests sent \(0 failed, \d+ not sent: too many in flight\)/);
      expect(running.stdout).toMatch(/workers: 0\/1 running/);
      expect(running.stderr).toBe('');
    })();
    await Promise.all([interrupted, bounded]);
  }, 180_000);
});
