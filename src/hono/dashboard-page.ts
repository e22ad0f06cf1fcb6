/**
 * The dashboard page (GET /metrics/dashboard): one HTML document with its style inline and its script served beside
 * it (GET <page>/dashboard.js: src/hono/dashboard/dashboard.ts, compiled for the browser), no CDN. The
 * Content-Security-Policy allows exactly that script and that style (by hash: the script tag carries the same hash
 * as its integrity) and fetches to the same origin, so even a tenant id that slipped into markup could not run.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

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
<p class="note">Every figure counts since the tenant was first seen, as GET /metrics/tenants and /metrics/endpoints give it;
percentiles come from the workers' latency sketches (within 1 % of the exact value). Req/s is the one figure over a window:
the last <strong id="window">…</strong> (between two refreshes of this page, at most 30 s apart).</p>
<h2>Tenants</h2>
<table>
<thead><tr><th>Tenant</th><th>Route</th><th>Requests</th><th>Req/s</th><th>5xx share</th><th>avg ms</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>Pattern</th></tr></thead>
<tbody id="tenants"></tbody>
</table>
<p class="note">A tenant's route rows are its own calls; their percentiles are the route's over every tenant, in the next table.</p>
<h2>Routes, all tenants</h2>
<table>
<thead><tr><th>Route</th><th>Requests</th><th>Req/s</th><th>5xx share</th><th>avg ms</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr></thead>
<tbody id="routes"></tbody>
</table>
<h2>Requests per second, all tenants, last 5 minutes</h2>
<svg id="chart" width="720" height="180" viewBox="0 0 720 180" role="img" aria-label="requests per second over the last 5 minutes"></svg>
<h2>Pipeline</h2>
<div class="bar" title="ring fill"><div id="ring-bar"></div></div>
<dl id="pipeline"></dl>
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

export interface DashboardPage {
  /** The page, its script loaded from `scriptPath`. */
  html(scriptPath: string): string;
  contentSecurityPolicy: string;
  /** The compiled browser script (src/hono/dashboard/dashboard.ts). */
  script: string;
}

/** The script's file name beside the page: GET <page>/dashboard.js. */
export const DASHBOARD_SCRIPT_NAME = 'dashboard.js';

let page: DashboardPage | undefined;

/** The page, its policy and its script, read and hashed on first request (nothing is done on import). */
export function dashboardPage(): DashboardPage {
  if (page !== undefined) return page;
  const script = readFileSync(new URL(`./dashboard/${DASHBOARD_SCRIPT_NAME}`, import.meta.url), 'utf8');
  const scriptHash = sha256(script);
  page = {
    script,
    html: (
      scriptPath,
    ) => `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ringmeter dashboard</title><style>${STYLE}</style></head>
<body>${BODY}<script type="module" src="${scriptPath}" integrity="${scriptHash.slice(1, -1)}"></script></body></html>\n`,
    contentSecurityPolicy: [
      "default-src 'none'",
      `script-src ${scriptHash}`,
      `style-src ${sha256(STYLE)}`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  };
  return page;
}
