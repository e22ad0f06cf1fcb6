/**
 * The dashboard page's script, sent inline (no build step, no CDN). It polls `<page>/data` every 2 s and keeps the
 * last five minutes of readings in memory; rates, the 5xx share and the percentiles are differences between the
 * newest reading and the oldest within the last 30 s, as Prometheus' `rate()` and `histogram_quantile()` compute
 * them. Percentiles are estimated by linear interpolation inside the histogram bucket the rank falls in, so they
 * are only as fine as the bucket bounds. Every string from the data (tenant ids come from request headers) goes
 * into the DOM through textContent or an attribute value, never through innerHTML. Each tenant's activity pattern
 * and its percentiles since first seen come as they are from the analytics summaries in the data (`tenants`).
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
const POLL_MILLIS = 2000;
const WINDOW_MILLIS = 30000;
const HISTORY_MILLIS = 5 * 60000;
const QUANTILES = [0.5, 0.95, 0.99];
const dataUrl = location.pathname.replace(/\/+$/, '') + '/data';
const readings = [];
const chartPoints = [];
let polls = 0;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function seriesKey(s) {
  return JSON.stringify([s.tenant, s.method, s.route]);
}

// What happened between two cumulative readings of one series, per bucket. A total that went down is a counter
// reset (a worker restarted with empty totals): then everything in the newer reading is new.
function difference(now, before) {
  const reset = before === undefined || now.requests < before.requests || now.cumulative.some((c, i) => c < (before.cumulative[i] || 0));
  const base = reset ? { requests: 0, serverErrors: 0, cumulative: [] } : before;
  const cumulative = now.cumulative.map((c, i) => c - (base.cumulative[i] || 0));
  return {
    requests: now.requests - base.requests,
    serverErrors: now.serverErrors - base.serverErrors,
    bounds: now.bounds,
    buckets: cumulative.map((c, i) => (i === 0 ? c : c - cumulative[i - 1])),
  };
}

function add(total, part) {
  if (total === undefined) return { requests: part.requests, serverErrors: part.serverErrors, bounds: part.bounds, buckets: part.buckets.slice() };
  total.requests += part.requests;
  total.serverErrors += part.serverErrors;
  if (part.buckets.length === total.buckets.length) part.buckets.forEach((n, i) => (total.buckets[i] += n));
  return total;
}

// The q-quantile in seconds, interpolated linearly inside its bucket (the first bucket starts at 0); in the +Inf
// bucket, the highest finite bound, as histogram_quantile() answers. null without observations.
function quantile(bounds, buckets, q) {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i] > 0 && seen + buckets[i] >= rank) {
      if (i >= bounds.length) return bounds.length === 0 ? null : bounds[bounds.length - 1];
      const lower = i === 0 ? 0 : bounds[i - 1];
      return lower + (bounds[i] - lower) * ((rank - seen) / buckets[i]);
    }
    seen += buckets[i];
  }
  return null;
}

function millis(seconds) {
  if (seconds === null) return '–';
  const ms = seconds * 1000;
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function percent(part, whole) {
  return whole > 0 ? ((100 * part) / whole).toFixed(1) + ' %' : '–';
}

function perSecond(count, spanMillis) {
  return spanMillis > 0 ? ((count * 1000) / spanMillis).toFixed(1) : '–';
}

// The reading the window starts from: the oldest one within WINDOW_MILLIS of the newest, not the newest itself.
function windowStart(latest) {
  for (const reading of readings) if (reading !== latest && reading.at >= latest.at - WINDOW_MILLIS) return reading;
  return undefined;
}

function row(cells, className, tenant) {
  const tr = el('tr', undefined, className);
  tr.dataset.tenant = tenant;
  for (const cell of cells) tr.append(el('td', cell));
  return tr;
}

// A tenant's pattern and exact-within-1 % percentiles since first seen, from the analytics summaries (the workers'
// sketches); blank for a route row or a tenant the analytics data does not hold.
function analyticsCells(summary) {
  if (summary === undefined) return ['', '', '', ''];
  const latency = summary.latency_seconds;
  return [summary.activity_pattern, millis(latency.p50), millis(latency.p95), millis(latency.p99)];
}

function figures(change, spanMillis) {
  return [
    perSecond(change.requests, spanMillis),
    percent(change.serverErrors, change.requests),
    ...QUANTILES.map((q) => millis(quantile(change.bounds, change.buckets, q))),
  ];
}

function renderTable(latest, start) {
  const span = start === undefined ? 0 : latest.at - start.at;
  const body = document.getElementById('routes');
  const rows = [];
  const byTenant = new Map();
  for (const s of latest.series) {
    const list = byTenant.get(s.tenant) || [];
    list.push(s);
    byTenant.set(s.tenant, list);
  }
  let all;
  for (const [tenant, list] of byTenant) {
    let tenantTotal;
    let tenantRequests = 0;
    const routeRows = [];
    for (const s of list) {
      const change = difference(s, start === undefined ? undefined : start.byKey.get(seriesKey(s)));
      tenantTotal = add(tenantTotal, change);
      tenantRequests += s.requests;
      routeRows.push(row(['', s.method + ' ' + s.route, String(s.requests), ...figures(change, span), ...analyticsCells(undefined)], 'route', tenant));
    }
    all = add(all, tenantTotal);
    const tenantRow = row(
      [tenant, 'all routes', String(tenantRequests), ...figures(tenantTotal, span), ...analyticsCells(latest.tenants.get(tenant))],
      'tenant',
      tenant,
    );
    tenantRow.children[8].className = 'pattern';
    rows.push(tenantRow, ...routeRows);
  }
  if (rows.length === 0) {
    const empty = el('tr');
    const td = el('td', 'No HTTP traffic recorded yet.');
    td.colSpan = 12;
    empty.append(td);
    rows.push(empty);
  }
  body.replaceChildren(...rows);
  document.getElementById('tenant-count').textContent = String(byTenant.size);
  document.getElementById('window').textContent = span > 0 ? 'over the last ' + Math.round(span / 1000) + ' s' : 'since start (one reading so far)';
  return all;
}

function renderPipeline(data) {
  const p = data.pipeline;
  const status = document.getElementById('status');
  status.textContent = p.status;
  status.className = 'badge ' + p.status;
  const reasons = document.getElementById('reasons');
  reasons.replaceChildren(...p.reasons.map((reason) => el('li', reason)));
  if (data.metrics_error !== null) reasons.append(el('li', 'metrics unavailable: ' + data.metrics_error));
  const fill = p.ring.capacity > 0 ? p.ring.used / p.ring.capacity : 0;
  document.getElementById('ring-bar').style.width = Math.min(100, fill * 100).toFixed(1) + '%';
  const facts = [
    ['ring fill', p.ring.used + ' / ' + p.ring.capacity + ' (' + (fill * 100).toFixed(1) + ' %)'],
    ['records written', String(p.ring.written)],
    ['overflow', p.overflow.records + ' records now, ' + p.overflow.spilled + ' spilled in total'],
    ['dropped / rejected / lost', p.records.dropped + ' / ' + p.records.rejected + ' / ' + p.records.lost],
    ['workers', p.workers.running + ' / ' + p.workers.count + ' running, ' + p.workers.restarts + ' restarts'],
    ['exports', p.export.succeeded + ' ok, ' + p.export.failed + ' failed'],
    ['last export', p.export.last_at === null ? 'none yet' : (p.export.last_ok ? 'ok, ' : 'failed, ') + Math.round(p.export.last_age_millis / 1000) + ' s ago'],
    ['last export error', p.export.last_error === null ? 'none' : p.export.last_error],
    ['series held', p.series.held + ' (overflowed records: ' + p.series.overflowed_records + ')'],
  ];
  document.getElementById('pipeline').replaceChildren(...facts.flatMap(([name, value]) => [el('dt', name), el('dd', value)]));
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderChart(now) {
  const width = 720;
  const height = 180;
  const left = 48;
  const bottom = 20;
  const margin = 12;
  const values = chartPoints.flatMap((p) => p.values.filter((v) => v !== null));
  const top = Math.max(0.001, ...values) * 1.1;
  const x = (at) => left + ((width - left) * (at - (now - HISTORY_MILLIS))) / HISTORY_MILLIS;
  const y = (v) => margin + (height - bottom - margin) * (1 - v / top);
  const nodes = [svg('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: 'axis' })];
  for (const fraction of [0, 0.5, 1]) {
    nodes.push(svg('text', { x: left - 4, y: y(top * fraction) + 4, 'text-anchor': 'end' }, millis(top * fraction)));
  }
  nodes.push(svg('text', { x: left, y: height - 4 }, '-5 min'), svg('text', { x: width, y: height - 4, 'text-anchor': 'end' }, 'now'));
  QUANTILES.forEach((q, i) => {
    const points = chartPoints.filter((p) => p.values[i] !== null).map((p) => x(p.at).toFixed(1) + ',' + y(p.values[i]).toFixed(1));
    nodes.push(svg('polyline', { points: points.join(' '), class: 'q' + i }));
    // The newest point marked, so that a chart of one reading is not empty.
    const last = points[points.length - 1];
    if (last !== undefined) nodes.push(svg('circle', { cx: last.split(',')[0], cy: last.split(',')[1], r: 2.5, class: 'dot q' + i }));
  });
  document.getElementById('chart').replaceChildren(...nodes);
}

async function poll() {
  try {
    const response = await fetch(dataUrl, { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const data = await response.json();
    const latest = {
      at: data.at,
      series: data.series,
      byKey: new Map(data.series.map((s) => [seriesKey(s), s])),
      tenants: new Map(data.tenants.map((t) => [t.tenant, t])),
    };
    readings.push(latest);
    while (readings.length > 0 && readings[0].at < latest.at - HISTORY_MILLIS) readings.shift();
    const start = windowStart(latest);
    const all = renderTable(latest, start);
    const values = QUANTILES.map((q) => (all === undefined || start === undefined ? null : quantile(all.bounds, all.buckets, q)));
    chartPoints.push({ at: latest.at, values });
    while (chartPoints.length > 0 && chartPoints[0].at < latest.at - HISTORY_MILLIS) chartPoints.shift();
    renderChart(latest.at);
    renderPipeline(data);
    polls += 1;
    document.getElementById('polls').textContent = String(polls);
    document.getElementById('updated').textContent = 'updated ' + new Date(latest.at).toLocaleTimeString();
  } catch (error) {
    document.getElementById('updated').textContent = 'update failed: ' + error.message + ' (retrying)';
  } finally {
    setTimeout(poll, POLL_MILLIS);
  }
}
poll();
`;
