/**
 * The dashboard page (GET /metrics/dashboard): one HTML document with its style and script inline, so that it needs
 * no build step, no CDN and no other route. The Content-Security-Policy allows exactly that inline script and style
 * (by hash) and fetches to the same origin, so even a tenant id that slipped into markup could not run.
 */
import { createHash } from 'node:crypto';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f6f7f9; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; } h2 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.note { color: #5b6475; font-size: .85rem; }
.badge { padding: .1rem .5rem; border-radius: .6rem; color: #fff; background: #5b6475; }
.badge.healthy { background: #1f7a3a; } .badge.degraded { background: #b26b00; } .badge.unhealthy { background: #b3261e; }
table { border-collapse: collapse; background: #fff; min-width: 48rem; }
th { white-space: nowrap; } th.group { text-align: center; font-weight: 400; color: #5b6475; border-bottom: 1px solid #9aa3b2; }
td.pattern { font-family: ui-monospace, monospace; font-weight: 400; text-align: left; }
th, td { padding: .25rem .6rem; text-align: right; border-bottom: 1px solid #e3e6eb; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
tr.tenant td { font-weight: 600; background: #eef1f5; }
tr.route td:nth-child(2) { padding-left: 1.4rem; font-family: ui-monospace, monospace; }
svg { background: #fff; border: 1px solid #e3e6eb; } svg text { font-size: 11px; fill: #5b6475; }
svg .axis { stroke: #9aa3b2; } svg polyline { fill: none; stroke-width: 1.6; } svg .dot { fill: #fff; stroke-width: 1.6; }
.q0, .k0 { stroke: #2f6fd6; color: #2f6fd6; } .q1, .k1 { stroke: #b26b00; color: #b26b00; } .q2, .k2 { stroke: #b3261e; color: #b3261e; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; background: #fff; padding: .6rem; margin: 0; }
dt { color: #5b6475; } dd { margin: 0; }
.bar { width: 16rem; height: .5rem; background: #e3e6eb; } .bar div { height: 100%; background: #2f6fd6; width: 0; }
`;

const BODY = `
<h1>ringmeter <span id="status" class="badge">…</span></h1>
<p class="note"><span id="updated">loading…</span> · refreshes every 2 s · <span id="polls">0</span> updates · <span id="tenant-count">0</span> tenants</p>
<ul id="reasons"></ul>
<h2>Tenants and routes <span class="note" id="window"></span></h2>
<table>
<thead><tr><th colspan="3"></th><th colspan="5" class="group">last 30 s (percentiles estimated)</th><th colspan="4" class="group">since first seen (sketch, ±1 %)</th></tr>
<tr><th>Tenant</th><th>Route</th><th>Requests</th><th>Req/s</th><th>5xx share</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>Pattern</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr></thead>
<tbody id="routes"></tbody>
</table>
<p class="note">Requests: total since the workers started. Rates, 5xx share and percentiles: over the last 30 s. Percentiles are
<strong>estimated</strong> from the latency histogram's buckets (linear interpolation inside the bucket), so they are only as precise
as the bucket bounds. The columns since first seen: per tenant, from the analytics data (activity pattern; percentiles from the
workers' latency sketches, within 1 % of the exact value).</p>
<h2>Latency, all tenants, last 5 minutes <span class="note"><span class="k0">■ p50</span> <span class="k1">■ p95</span> <span class="k2">■ p99</span> (ms, estimated, 30 s window)</span></h2>
<svg id="chart" width="720" height="180" viewBox="0 0 720 180" role="img" aria-label="p50, p95 and p99 latency over the last 5 minutes"></svg>
<h2>Pipeline</h2>
<div class="bar" title="ring fill"><div id="ring-bar"></div></div>
<dl id="pipeline"></dl>
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

export interface DashboardPage {
  html: string;
  contentSecurityPolicy: string;
}

let page: DashboardPage | undefined;

/** The page and its policy, made on first request (nothing is computed on import). */
export function dashboardPage(): DashboardPage {
  page ??= {
    html: `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ringmeter dashboard</title><style>${STYLE}</style></head>
<body>${BODY}<script>${DASHBOARD_SCRIPT}</script></body></html>\n`,
    contentSecurityPolicy: [
      "default-src 'none'",
      `script-src ${sha256(DASHBOARD_SCRIPT)}`,
      `style-src ${sha256(STYLE)}`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  };
  return page;
}
