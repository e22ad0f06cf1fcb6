/**
 * The dashboard in a real browser: Debian's headless Chromium, driven by playwright-core, loads the page from a
 * @hono/node-server under traffic from three tenants (one with markup in its id) and must show them, escaped, with
 * figures that move between two refreshes, and no console error (a CSP violation would be one). Skipped, loudly,
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

async function send(tenant: string, path: string, times: number, method = 'GET'): Promise<void> {
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${base}${path}`, { method, headers: { 'x-tenant-id': tenant } });
    await response.arrayBuffer();
  }
}

describe.skipIf(!found)('the dashboard page in headless Chromium', () => {
  it('shows the tenants sent, escaped, and figures that grow with more traffic, without a console error', async () => {
    await send('acme', '/users/1', 5);
    await send('acme', '/boom', 2);
    await send('globex', '/orders', 3, 'POST');
    await send(HOSTILE, '/users/2', 1);
    // Known latencies, recorded directly: 20 × 30 ms, all in the (25 ms, 50 ms] bucket, so p50 is estimated at 37.5 ms.
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

    const tenantRows = () =>
      page.$$eval('tr.tenant', (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const first = await tenantRows();
    expect(first.map((cells) => cells[0]).sort()).toEqual([HOSTILE, 'acme', 'fixed', 'globex'].sort());
    const acmeRequests = (rows: string[][]) => rows.find((cells) => cells[0] === 'acme')?.[2];
    expect(acmeRequests(first)).toBe('7');
    // The first reading has nothing before it: its figures are since start.
    const fixedP50 = (rows: string[][]) => rows.find((cells) => cells[0] === 'fixed')?.[5];
    expect(fixedP50(first)).toBe('37.5');
    // The hostile id is text, not markup: no element was made of it, no handler ran.
    expect(await page.$$eval('img', (images) => images.length)).toBe(0);
    expect(await page.title()).toBe('ringmeter dashboard');
    const routes = await page.$$eval('tr.route td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent));
    expect(routes).toEqual(expect.arrayContaining(['GET /users/:id', 'GET /boom', 'POST /orders']));
    expect(await page.textContent('#status')).toBe('healthy');
    // From the analytics data: every tenant sent is new (onboarding), and the 20 × 30 ms of 'fixed' read from the
    // worker's sketch are 30 ms at p50, p95 and p99 (cells 8 to 11), where the bucket estimate said 37.5.
    for (const cells of first) expect(cells[8]).toBe('onboarding');
    expect(first.find((cells) => cells[0] === 'fixed')?.slice(8, 12)).toEqual(['onboarding', '30.0', '30.0', '30.0']);
    const acmeSketch = first.find((cells) => cells[0] === 'acme')!.slice(9, 12);
    for (const percentile of acmeSketch) expect(Number(percentile)).toBeGreaterThan(0);

    // More traffic: the next refreshes show it, with a rate, a 5xx share and estimated percentiles over the window.
    const polls = await pollsShown();
    await send('acme', '/users/1', 10);
    await send('acme', '/boom', 2);
    await expect.poll(pollsShown, { timeout: 10_000 }).toBeGreaterThan(polls);
    await expect.poll(async () => acmeRequests(await tenantRows()), { timeout: 10_000 }).toBe('19');
    const acme = (await tenantRows()).find((cells) => cells[0] === 'acme')!;
    expect(Number(acme[3])).toBeGreaterThan(0); // req/s
    expect(acme[4]).toMatch(/^\d+\.\d %$/); // 5xx share over the window
    expect(Number.parseFloat(acme[4])).toBeGreaterThan(0);
    for (const percentile of acme.slice(5, 8)) expect(Number(percentile)).toBeGreaterThan(0);
    expect(await page.$$eval('#chart polyline', (lines) => lines.map((line) => line.getAttribute('points') ?? ''))).toSatisfy(
      (lines: string[]) => lines.length === 3 && lines.every((points) => points.length > 0),
    );
    const pipeline = await page.textContent('#pipeline');
    expect(pipeline).toMatch(/ring fill\d+ \/ \d+/);
    expect(pipeline).not.toContain(receiver.url);

    // Later figures are over the window (here, since the first reading): 20 × 300 ms more, in (250 ms, 500 ms],
    // are all it holds for this tenant, so p50 is estimated at 375 ms, the 30 ms ones before no longer weighing in.
    for (let i = 0; i < 20; i++) known(0.3);
    await expect.poll(async () => fixedP50(await tenantRows()), { timeout: 10_000 }).toBe('375');
    // Since first seen, from the sketch: 20 × 30 ms and 20 × 300 ms, so p50 (rank 19 of 0..39) is still 30 ms and
    // p95, p99 are 300 ms within 1 %.
    const fixedSketch = (await tenantRows())
      .find((cells) => cells[0] === 'fixed')!
      .slice(9, 12)
      .map(Number);
    expect(fixedSketch[0]).toBe(30);
    for (const percentile of fixedSketch.slice(1)) expect(Math.abs(percentile - 300) / 300).toBeLessThanOrEqual(0.01);

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
