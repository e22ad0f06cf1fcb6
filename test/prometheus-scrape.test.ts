import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { Collector } from 'ringmeter';
import { honoMetrics, operationsRoutes } from 'ringmeter/hono';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { freePort, startPipeline } from './support/harness.js';
import { type LocalServer, serveLocally } from './support/node-server.js';

/** Debian's `prometheus` package (installed by .ci/run when absent). */
const installed = spawnSync('prometheus', ['--version']).status === 0 && spawnSync('promtool', ['--version']).status === 0;
if (!installed) {
  console.warn('\n*** SKIPPED: prometheus-scrape.test.ts needs `prometheus` and `promtool` (apt-get install -y prometheus) ***\n');
}

describe.skipIf(!installed)('a real Prometheus scraping /metrics', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let server: LocalServer;
  let appPort: number;
  let promPort: number;
  let prometheus: ChildProcess;
  let dir: string;
  let log = '';

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
    const app = new Hono();
    app.use(honoMetrics(collector));
    app.route('/', operationsRoutes(collector));
    app.get('/users/:id', (c) => c.text('user'));
    app.post('/orders', (c) => c.text('created', 201));
    server = await serveLocally(app);
    appPort = server.port;

    dir = mkdtempSync(join(tmpdir(), 'ringmeter-prometheus-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ringmeter\n    static_configs:\n      - targets: ['127.0.0.1:${appPort}']\n`,
    );
    promPort = await freePort();
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4_000);
    });
  });

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await server?.close();
    await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
    await receiver?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function get(path: string, init?: RequestInit): Promise<Response> {
    return fetch(`http://127.0.0.1:${appPort}${path}`, init);
  }

  async function query(promql: string): Promise<Record<string, number>> {
    const response = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    const result: Record<string, number> = {};
    for (const series of body.data?.result ?? []) result[`${series.metric.tenant_id} ${series.metric.route}`] = Number(series.value[1]);
    return result;
  }

  it('passes promtool check metrics, and a PromQL query returns exactly the requests sent, per tenant and route', async () => {
    const sent = { 'acme /users/:id': 7, 'globex /users/:id': 2, 'globex /orders': 4 };
    for (let i = 0; i < 7; i++) await (await get('/users/1', { headers: { 'x-tenant-id': 'acme' } })).text();
    for (let i = 0; i < 2; i++) await (await get('/users/2', { headers: { 'x-tenant-id': 'globex' } })).text();
    for (let i = 0; i < 4; i++) await (await get('/orders', { method: 'POST', headers: { 'x-tenant-id': 'globex' } })).text();

    // promtool reads format 0.0.4 only; the OpenMetrics rendering is what Prometheus itself asks for and parses below.
    const text = await (await get('/metrics', { headers: { accept: 'text/plain' } })).text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);

    const deadline = Date.now() + 45_000;
    let seen: Record<string, number> = {};
    while (Date.now() < deadline) {
      seen = await query('sum by (tenant_id, route) (http_requests_total{job="ringmeter"})').catch(() => ({}));
      if (JSON.stringify(sorted(seen)) === JSON.stringify(sorted(sent))) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(sorted(seen), `prometheus log: ${log}`).toEqual(sorted(sent));
    // Prometheus's own scrapes of /metrics are not traffic: no series for that route.
    expect(await query('count(http_requests_total{route="/metrics"}) or vector(0)')).toEqual({ 'undefined undefined': 0 });
  });
});

function sorted(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1)));
}
