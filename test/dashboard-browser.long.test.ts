/**
 * The dashboard in a real browser: Debian's headless Chromium, driven by playwright-core, loads the page from a
 * @hono/node-server under traffic from three tenants (one with markup in its id) and must show them, escaped, with
 * figures that agree with each other and with the analytics API (GET /metrics/tenants, /metrics/endpoints), one
 * window, export counts that are stats()'s, and no console error (a CSP violation would be one). Skipped, loudly,
 * only where no chromium is installed (.ci/run installs it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { honoMetrics, operationsRoutes } from 'ringmeter/hono';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline } from './support/harness.js';
import { type LocalServer, serveLocally } from './support/node-server.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = fileURLToPath(new URL('./output/', import.meta.url));
const HOSTILE = '<img src=x onerror="document.title=\'owned\'">';

const found = existsSync(CHROMIUM);
if (!found) {
  console.warn(`\n!!! ${CHROMIUM} not found: the dashboard browser test is SKIPPED (apt-get install -y chromium) !!!\n`);
}

let collector: Collector;
let receiver: OtlpReceiver;
let server: LocalServer;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!found) return;
  ({ collector, receiver } = await startPipeline({ otlp: { timeoutMillis: 1_000 } }));
  const app = new Hono();
  app.use(honoMetrics(collector));
  // The browser is an operator (allowed every tenant); a caller saying it is acme's may see acme only.
  const authorize = (c: Context, tenant: string) => (c.req.header('x-caller') === 'acme' ? tenant === 'acme' : true);
  app.route('/', operationsRoutes(collector, { authorize, dashboard: true }));
  app.get('/users/:id', (c) => c.text('user'));
  app.post('/orders', (c) => c.text('order', 201));
  app.get('/boom', (c) => c.text('upstream down', 503));
  server = await serveLocally(app);
  base = server.base;
  // As root (CI containers), Chromium refuses to start with its sandbox.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
  await receiver?.stop();
});

/** Seconds as the page writes milliseconds. */
function millis(seconds: number | null): string {
  if (seconds === null) return '–';
  const ms = seconds * 1000;
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

async function send(tenant: string, path: string, times: number, method = 'GET'): Promise<void> {
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${base}${path}`, { method, headers: { 'x-tenant-id': tenant } });
    await response.arrayBuffer();
  }
}

describe.skipIf(!found)('the dashboard page in headless Chromium', () => {
  it('shows the tenants sent, escaped, with figures that agree with each other, with the analytics API and with stats(), over one window, without a console error', async () => {
    await send('acme', '/users/1', 5);
    await send('acme', '/boom', 2);
    await send('globex', '/orders', 3, 'POST');
    await send(HOSTILE, '/users/2', 1);
    // Known latencies, recorded directly: 20 × 30 ms.
    const known = (durationSeconds: number) =>
      collector.recordHttp({
        method: 'GET',
        route: '/fixed',
        statusCode: 200,
        tenantId: 'fixed',
        durationSeconds,
        requestBytes: 0,
        responseBytes: 0,
      });
    for (let i = 0; i < 20; i++) known(0.03);

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/metrics/dashboard`);
    const pollsShown = async () => Number(await page.textContent('#polls'));
    await expect.poll(pollsShown, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);

    // Cells: tenant, route, requests, req/s, 5xx share, avg, p50, p95, p99 (ms), pattern.
    const tenantRows = () =>
      page.$$eval('tr.tenant', (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const routeRows = () =>
      page.$$eval('tr.endpoint', (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const first = await tenantRows();
    expect(first.map((cells) => cells[0]).sort()).toEqual([HOSTILE, 'acme', 'fixed', 'globex'].sort());
    const acmeRequests = (rows: string[][]) => rows.find((cells) => cells[0] === 'acme')?.[2];
    expect(acmeRequests(first)).toBe('7');
    // The 20 × 30 ms of 'fixed', read from the worker's sketch: 30 ms at p50, p95 and p99 (a bucket interpolation
    // said 37.5).
    expect(first.find((cells) => cells[0] === 'fixed')?.slice(6, 10)).toEqual(['30.0', '30.0', '30.0', 'onboarding']);
    for (const cells of first) expect(cells[9]).toBe('onboarding');
    // The hostile id is text, not markup: no element was made of it, no handler ran.
    expect(await page.$$eval('img', (images) => images.length)).toBe(0);
    expect(await page.title()).toBe('ringmeter dashboard');
    const tenantRoutes = await page.$$eval('tr.route td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent));
    expect(tenantRoutes).toEqual(expect.arrayContaining(['GET /users/:id', 'GET /boom', 'POST /orders']));
    expect(await page.textContent('#status')).toBe('healthy');

    // More traffic: the next refreshes show it, with a rate over the page's one window.
    const polls = await pollsShown();
    await send('acme', '/users/1', 10);
    await send('acme', '/boom', 2);
    await expect.poll(pollsShown, { timeout: 10_000 }).toBeGreaterThan(polls);
    await expect.poll(async () => acmeRequests(await tenantRows()), { timeout: 10_000 }).toBe('19');
    const acme = (await tenantRows()).find((cells) => cells[0] === 'acme')!;
    expect(Number(acme[3])).toBeGreaterThan(0); // req/s over the window
    expect(acme[4]).toBe('21.1 %'); // 4 of 19 since first seen, as the API's error_rate
    // One window, named once: the span of the rate columns, in seconds.
    expect(await page.textContent('#window')).toMatch(/^\d+ s$/);
    expect(await page.$$('#window')).toHaveLength(1);
    expect(await page.textContent('body')).not.toMatch(/last 30 s|over the last/);

    // Later latencies: 20 × 300 ms more for 'fixed'. Since first seen, from the sketch: p50 (rank 19 of 0..39) is
    // still 30 ms, p95 and p99 are 300 ms within 1 %.
    for (let i = 0; i < 20; i++) known(0.3);
    await expect.poll(async () => (await tenantRows()).find((cells) => cells[0] === 'fixed')?.[2], { timeout: 10_000 }).toBe('40');
    const fixedSketch = (await tenantRows())
      .find((cells) => cells[0] === 'fixed')!
      .slice(6, 9)
      .map(Number);
    expect(fixedSketch[0]).toBe(30);
    for (const percentile of fixedSketch.slice(1)) expect(Math.abs(percentile - 300) / 300).toBeLessThanOrEqual(0.01);

    // Every figure on the page is the analytics API's, read in the same instant: pause the traffic (there is none
    // now), take one reading of the page and one of the API.
    await expect.poll(pollsShown, { timeout: 10_000 }).toBeGreaterThan(await pollsShown());
    const [tenantsShown, routesShown] = [await tenantRows(), await routeRows()];
    const api = (await (await fetch(`${base}/metrics/tenants`)).json()) as { tenants: any[] };
    expect(tenantsShown.map((cells) => cells[0])).toEqual(
      api.tenants.map((t) => t.tenant).sort((a: string, b: string) => (a < b ? -1 : 1)),
    );
    for (const cells of tenantsShown) {
      const listed = api.tenants.find((t) => t.tenant === cells[0]);
      const { avg, p50, p95, p99 } = listed.latency_seconds;
      expect([cells[2], ...cells.slice(5, 9), cells[9]]).toEqual([
        String(listed.calls),
        ...[avg, p50, p95, p99].map(millis),
        listed.activity_pattern,
      ]);
    }
    const endpoints = (await (await fetch(`${base}/metrics/endpoints`)).json()) as { endpoints: any[] };
    expect(routesShown.map((cells) => [cells[0], cells[1], ...cells.slice(4, 8)])).toEqual(
      endpoints.endpoints.map((e) => {
        const { p50, p95, p99 } = e.latency_seconds;
        return [`${e.method} ${e.route}`, String(e.calls), ...[e.avg_response_seconds, p50, p95, p99].map(millis)];
      }),
    );
    // The tenant × route rows add up to their tenant's requests.
    const tenantRouteRows = await page.$$eval('tr.route', (rows) =>
      rows.map((row) => [row.getAttribute('data-tenant') ?? '', row.querySelectorAll('td')[2]?.textContent ?? '']),
    );
    for (const cells of tenantsShown) {
      const sum = tenantRouteRows.filter(([tenant]) => tenant === cells[0]).reduce((total, [, requests]) => total + Number(requests), 0);
      expect(sum).toBe(Number(cells[2]));
    }

    // Exports: the exporter in use, and counts from the same source as the last export's outcome and stats().
    await collector.flush();
    const pipelineFacts = async () =>
      Object.fromEntries(
        await page.$$eval('#pipeline dt', (terms) => terms.map((dt) => [dt.textContent ?? '', dt.nextElementSibling?.textContent ?? ''])),
      );
    await expect
      .poll(async () => (await pipelineFacts())['OTLP requests'], { timeout: 10_000 })
      .toBe(`${collector.stats().export.succeeded} ok, ${collector.stats().export.failed} failed`);
    const facts = await pipelineFacts();
    expect(facts.exporters).toBe('otlp');
    expect(facts.exports).toMatch(/^[1-9]\d* ok, 0 failed$/);
    expect(facts['last export']).toMatch(/^ok, \d+ s ago$/);
    expect(facts['ring fill']).toMatch(/^\d+ \/ \d+/);
    expect(await page.textContent('#pipeline')).not.toContain(receiver.url);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: `${OUTPUT}dashboard.png`, fullPage: true });
    expect(errors).toEqual([]);

    // The page's own requests are not traffic.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('tenant_id="acme"');
    expect(metrics).not.toContain('/metrics/dashboard');
  }, 60_000);

  it('answers 403 to a caller not allowed every tenant, page and data alike', async () => {
    for (const path of ['/metrics/dashboard', '/metrics/dashboard/data']) {
      const response = await fetch(`${base}${path}`, { headers: { 'x-caller': 'acme' } });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'not allowed to see every tenant' });
    }
    const page = await browser.newPage({ extraHTTPHeaders: { 'x-caller': 'acme' } });
    const response = await page.goto(`${base}/metrics/dashboard`);
    expect(response?.status()).toBe(403);
    expect(await page.$('#routes')).toBeNull();
  });
});
