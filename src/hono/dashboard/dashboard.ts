/**
 * The dashboard page's script (GET <dashboard>/dashboard.js), compiled for the browser by its own tsconfig (DOM, no
 * Node) against the data contract (contract/dashboard.ts), and checked by tsc and Biome like the rest. It polls
 * `<page>/data` every 2 s and shows what the workers answered: every figure since each tenant was first seen (the
 * analytics API's figures, percentiles from the workers' sketches), except the request rate, which is the one
 * figure the page derives itself: the difference between the newest reading and the oldest within WINDOW_MILLIS,
 * whose span is written once, in the one place the page names a window. Every string from the data (tenant ids come
 * from request headers) goes into the DOM through textContent or an attribute value, never through innerHTML.
 */
import type { DashboardData, DashboardLatency, DashboardPipeline } from '../../contract/dashboard.js';

const POLL_MILLIS = 2000;
const WINDOW_MILLIS = 30_000;
const HISTORY_MILLIS = 5 * 60_000;
const dataUrl = `${location.pathname.replace(/\/+$/, '')}/data`;

/** One reading: when, and the cumulative request count per row key (tenant, tenant + route, route, all). */
interface Reading {
  at: number;
  requests: Map<string, number>;
}

const readings: Reading[] = [];
const chartPoints: { at: number; perSecond: number | null }[] = [];
let polls = 0;

function el(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function byId(id: string): HTMLElement {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node;
}

function millis(seconds: number | null): string {
  if (seconds === null) return '–';
  const ms = seconds * 1000;
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '–';
}

/** The reading the window starts from: the oldest one within WINDOW_MILLIS of the newest, not the newest itself. */
function windowStart(latest: Reading): Reading | undefined {
  for (const reading of readings) if (reading !== latest && reading.at >= latest.at - WINDOW_MILLIS) return reading;
  return undefined;
}

/**
 * Requests per second of a row between two readings; '–' with one reading. A count that went down is a restart
 * (a tenant forgotten by retention starts afresh): then the whole newer count is new.
 */
function rate(key: string, latest: Reading, start: Reading | undefined): string {
  if (start === undefined) return '–';
  const now = latest.requests.get(key) ?? 0;
  const before = start.requests.get(key) ?? 0;
  const added = now >= before ? now - before : now;
  return ((added * 1000) / (latest.at - start.at)).toFixed(1);
}

function row(cells: string[], className: string, tenant: string): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.className = className;
  tr.dataset.tenant = tenant;
  for (const cell of cells) tr.append(el('td', cell));
  return tr;
}

function latencyCells(latency: DashboardLatency): string[] {
  return [millis(latency.avg), millis(latency.p50), millis(latency.p95), millis(latency.p99)];
}

function emptyRow(columns: number, text: string): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const td = el('td', text) as HTMLTableCellElement;
  td.colSpan = columns;
  tr.append(td);
  return tr;
}

function renderTenants(data: DashboardData, latest: Reading, start: Reading | undefined): void {
  const rows: HTMLTableRowElement[] = [];
  for (const t of data.tenants) {
    const tenantRow = row(
      [
        t.tenant,
        'all routes',
        String(t.requests),
        rate(`t\u0000${t.tenant}`, latest, start),
        percent(t.server_errors, t.requests),
        ...latencyCells(t.latency_seconds),
        t.activity_pattern,
      ],
      'tenant',
      t.tenant,
    );
    (tenantRow.lastElementChild as HTMLElement).className = 'pattern';
    rows.push(tenantRow);
    for (const r of t.routes) {
      // A tenant's cell keeps counters, no sketch: its percentiles are the route's (all tenants), in the table below.
      const latency = { avg: r.avg_seconds, p50: null, p95: null, p99: null };
      const key = `c\u0000${t.tenant}\u0000${r.method} ${r.route}`;
      const cells = [
        '',
        `${r.method} ${r.route}`,
        String(r.requests),
        rate(key, latest, start),
        percent(r.server_errors, r.requests),
        ...latencyCells(latency),
        '',
      ];
      rows.push(row(cells, 'route', t.tenant));
    }
  }
  if (rows.length === 0) rows.push(emptyRow(10, 'No HTTP traffic recorded yet.'));
  byId('tenants').replaceChildren(...rows);
  byId('tenant-count').textContent = String(data.tenants.length);
}

function renderRoutes(data: DashboardData, latest: Reading, start: Reading | undefined): void {
  const rows = data.routes.map((r) =>
    row(
      [
        `${r.method} ${r.route}`,
        String(r.requests),
        rate(`r\u0000${r.method} ${r.route}`, latest, start),
        percent(r.server_errors, r.requests),
        ...latencyCells(r.latency_seconds),
      ],
      'endpoint',
      '',
    ),
  );
  if (rows.length === 0) rows.push(emptyRow(8, 'No HTTP traffic recorded yet.'));
  byId('routes').replaceChildren(...rows);
}

function ago(ageMillis: number | null): string {
  return ageMillis === null ? '' : `, ${Math.round(ageMillis / 1000)} s ago`;
}

function renderPipeline(p: DashboardPipeline, analyticsError: string | null): void {
  const status = byId('status');
  status.textContent = p.status;
  status.className = `badge ${p.status}`;
  const reasons = byId('reasons');
  reasons.replaceChildren(...p.reasons.map((reason) => el('li', reason)));
  if (analyticsError !== null) reasons.append(el('li', `analytics unavailable: ${analyticsError}`));
  const fill = p.ring.capacity > 0 ? p.ring.used / p.ring.capacity : 0;
  byId('ring-bar').style.width = `${Math.min(100, fill * 100).toFixed(1)}%`;
  const lastExport = p.exports.last_ok === null ? 'none yet' : `${p.exports.last_ok ? 'ok' : 'failed'}${ago(p.exports.last_age_millis)}`;
  const facts: [string, string][] = [
    ['ring fill', `${p.ring.used} / ${p.ring.capacity} (${(fill * 100).toFixed(1)} %)`],
    ['records written', String(p.ring.written)],
    ['overflow', `${p.overflow.records} records now, ${p.overflow.spilled} spilled in total`],
    ['dropped / rejected / lost', `${p.records.dropped} / ${p.records.rejected} / ${p.records.lost}`],
    ['workers', `${p.workers.running} / ${p.workers.count} running, ${p.workers.restarts} restarts`],
    ['exporters', p.exporters.length === 0 ? 'none' : p.exporters.join(', ')],
    ['exports', `${p.exports.ok} ok, ${p.exports.failed} failed`],
    ['last export', lastExport],
  ];
  if (p.otlp_requests !== null) {
    facts.push(
      ['OTLP requests', `${p.otlp_requests.succeeded} ok, ${p.otlp_requests.failed} failed`],
      ['last OTLP error', p.otlp_requests.last_error ?? 'none'],
    );
  }
  facts.push(['series held', `${p.series.held} (overflowed records: ${p.series.overflowed_records})`]);
  byId('pipeline').replaceChildren(...facts.flatMap(([name, value]) => [el('dt', name), el('dd', value)]));
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Requests per second over all tenants, one point per reading (each over the page's window), the last 5 minutes. */
function renderChart(now: number): void {
  const width = 720;
  const height = 180;
  const left = 48;
  const bottom = 20;
  const margin = 12;
  const values = chartPoints.flatMap((p) => (p.perSecond === null ? [] : [p.perSecond]));
  const top = Math.max(1, ...values) * 1.1;
  const x = (at: number) => left + ((width - left) * (at - (now - HISTORY_MILLIS))) / HISTORY_MILLIS;
  const y = (v: number) => margin + (height - bottom - margin) * (1 - v / top);
  const nodes: SVGElement[] = [svg('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: 'axis' })];
  for (const fraction of [0, 0.5, 1]) {
    nodes.push(svg('text', { x: left - 4, y: y(top * fraction) + 4, 'text-anchor': 'end' }, (top * fraction).toFixed(1)));
  }
  nodes.push(svg('text', { x: left, y: height - 4 }, '-5 min'), svg('text', { x: width, y: height - 4, 'text-anchor': 'end' }, 'now'));
  const points = chartPoints.flatMap((p) => (p.perSecond === null ? [] : [[x(p.at), y(p.perSecond)]]));
  nodes.push(svg('polyline', { points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' '), class: 'q0' }));
  const last = points.at(-1);
  if (last !== undefined) nodes.push(svg('circle', { cx: last[0].toFixed(1), cy: last[1].toFixed(1), r: 2.5, class: 'dot q0' }));
  byId('chart').replaceChildren(...nodes);
}

/** The cumulative counts of a reading, by row key. */
function countsOf(data: DashboardData): Map<string, number> {
  const requests = new Map<string, number>();
  let all = 0;
  for (const t of data.tenants) {
    requests.set(`t\u0000${t.tenant}`, t.requests);
    all += t.requests;
    for (const r of t.routes) requests.set(`c\u0000${t.tenant}\u0000${r.method} ${r.route}`, r.requests);
  }
  for (const r of data.routes) requests.set(`r\u0000${r.method} ${r.route}`, r.requests);
  requests.set('all', all);
  return requests;
}

async function poll(): Promise<void> {
  try {
    const response = await fetch(dataUrl, { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = (await response.json()) as DashboardData;
    const latest: Reading = { at: data.at, requests: countsOf(data) };
    readings.push(latest);
    while (readings.length > 0 && readings[0].at < latest.at - HISTORY_MILLIS) readings.shift();
    const start = windowStart(latest);
    // The one place the page names its window: the rate columns' span, in seconds.
    byId('window').textContent = start === undefined ? 'after the next refresh' : `${Math.round((latest.at - start.at) / 1000)} s`;
    renderTenants(data, latest, start);
    renderRoutes(data, latest, start);
    const all = rate('all', latest, start);
    chartPoints.push({ at: latest.at, perSecond: all === '–' ? null : Number(all) });
    while (chartPoints.length > 0 && chartPoints[0].at < latest.at - HISTORY_MILLIS) chartPoints.shift();
    renderChart(latest.at);
    renderPipeline(data.pipeline, data.analytics_error);
    polls += 1;
    byId('polls').textContent = String(polls);
    byId('updated').textContent = `updated ${new Date(latest.at).toLocaleTimeString()}`;
  } catch (error) {
    byId('updated').textContent = `update failed: ${error instanceof Error ? error.message : String(error)} (retrying)`;
  } finally {
    setTimeout(poll, POLL_MILLIS);
  }
}

void poll();
