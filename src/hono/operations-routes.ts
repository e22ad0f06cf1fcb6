import { Hono, type Context } from 'hono';
import type { Collector } from '../collector.js';
import { CONTENT_TYPES, negotiateFormat } from '../reads/exposition.js';
import { internals, requireCollector } from '../internal.js';
import { readDashboardData } from '../operations/dashboard-data.js';
import { healthReport, performanceReport, pipelineReport, type PerformanceCursor } from '../operations/reports.js';
import { type AccessPolicy, AuthorizeFailed, CallerAccess } from '../operations/caller-access.js';
import { errorMessage } from '../secrets/redact.js';
import { mountAnalyticsRoutes } from './analytics-routes.js';
import { DASHBOARD_SCRIPT_NAME, dashboardPage } from './dashboard-page.js';
import { dashboardDataPath, dashboardScriptPath, resolveOperationsOptions, type OperationsRoutesOptions } from './operations-options.js';
import { untracked } from './untracked.js';

/**
 * The operations endpoints as a Hono app to mount: `app.route('/', operationsRoutes(collector))`. GET /health,
 * /metrics/health, /otel/performance and /metrics (Prometheus text, rendered in the workers). honoMetrics never
 * records their requests (untracked.ts). A function of the `ringmeter/hono` entry rather than a Collector method,
 * so that the core entry never imports hono.
 *
 * With `authorize` (or `authorizeTenants`), also the analytics routes (analytics-routes.ts): GET /metrics/tenants,
 * /metrics/tenants/:id, /metrics/endpoints and /metrics/database, each showing only the tenants authorize lets the
 * caller see; and GET /metrics, whose series name every tenant, only for callers allowed every tenant ('*'), unless
 * `metricsAccess: 'open'`. With `dashboard: true` (which needs authorize), also the live dashboard page, its script
 * (`<page>/dashboard.js`) and the JSON it polls (`<page>/data`), all for '*' callers only, as the page lists every
 * tenant.
 *
 * [options.paths={ health: '/health', metricsHealth: '/metrics/health', performance: '/otel/performance', metrics: '/metrics',
 *   dashboard: '/metrics/dashboard', tenants: '/metrics/tenants', endpoints: '/metrics/endpoints', database: '/metrics/database' }]
 * [options.authorize=undefined] [options.authorizeTenants=undefined] [options.metricsAccess='authorize' with authorize, else 'open']
 * [options.scrapeTimeoutMillis=5000] [options.staleExportMillis=3 × exportIntervalMillis + timeoutMillis] [options.dashboard=false]
 */
export function operationsRoutes(collector: Collector, options?: OperationsRoutesOptions): Hono {
  requireCollector(collector);
  const resolved = resolveOperationsOptions(options, collector.options.otlp);
  const { paths, scrapeTimeoutMillis } = resolved;
  // The default follows the export settings in effect, which configure() may change after the routes are made.
  const staleFixed = options?.staleExportMillis !== undefined;
  const staleExportMillis = () =>
    staleFixed ? resolved.staleExportMillis : 3 * collector.options.otlp.exportIntervalMillis + collector.options.otlp.timeoutMillis;
  const inner = internals(collector);
  // One cursor per mounted app: records/s is measured between two calls to this app's /otel/performance.
  const cursor: PerformanceCursor = { atMillis: inner.startedAtMillis, records: 0 };
  const app = new Hono();
  const { access } = resolved;
  const metricsGuard = resolved.metricsAccess === 'authorize' ? access : undefined;
  if (paths.health !== false) {
    app.get(
      paths.health,
      untracked(function ringmeterHealth(c) {
        const report = healthReport(inner, staleExportMillis());
        return c.json(report.body, report.httpStatus);
      }),
    );
  }
  if (paths.metricsHealth !== false) {
    app.get(
      paths.metricsHealth,
      untracked(function ringmeterPipelineHealth(c) {
        const report = pipelineReport(inner, staleExportMillis());
        return c.json(report.body, report.httpStatus);
      }),
    );
  }
  if (paths.performance !== false) {
    app.get(
      paths.performance,
      untracked(function ringmeterPerformance(c) {
        const report = performanceReport(inner, cursor);
        return c.json(report.body, report.httpStatus);
      }),
    );
  }
  if (paths.metrics !== false) {
    app.get(
      paths.metrics,
      untracked(async function ringmeterPrometheus(c) {
        const refused = metricsGuard === undefined ? undefined : await refuseUnlessEveryTenant(metricsGuard, c, 'text');
        if (refused !== undefined) return refused;
        const format = negotiateFormat(c.req.header('accept'));
        try {
          // Shared by concurrent scrapes; cancelled if every one of them goes (this one's client disconnecting).
          const scrape = await inner.reads.scrape(scrapeTimeoutMillis, c.req.raw.signal);
          return c.body(scrape.bytes(format), 200, { 'content-type': CONTENT_TYPES[format] });
        } catch (error) {
          // A partial scrape would look like counter resets; better none, saying why.
          return c.text(`# ringmeter: metrics unavailable: ${errorMessage(error)}\n`, 503);
        }
      }),
    );
  }
  if (access !== undefined) mountAnalyticsRoutes(app, collector, access, paths, scrapeTimeoutMillis);
  if (resolved.dashboard && access !== undefined && paths.dashboard !== false) {
    // Relative to the page (whose path has no trailing slash), so that it works wherever the routes are mounted.
    const scriptSrc = `${paths.dashboard.split('/').pop()}/${DASHBOARD_SCRIPT_NAME}`;
    app.get(
      paths.dashboard,
      untracked(async function ringmeterDashboard(c) {
        const refused = await refuseUnlessEveryTenant(access, c, 'json');
        if (refused !== undefined) return refused;
        const { html, contentSecurityPolicy } = dashboardPage();
        return c.html(html(scriptSrc), 200, { 'content-security-policy': contentSecurityPolicy, 'cache-control': 'no-store' });
      }),
    );
    app.get(
      dashboardScriptPath(paths.dashboard),
      untracked(async function ringmeterDashboardScript(c) {
        const refused = await refuseUnlessEveryTenant(access, c, 'json');
        if (refused !== undefined) return refused;
        return c.body(dashboardPage().script, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      }),
    );
    app.get(
      dashboardDataPath(paths.dashboard),
      untracked(async function ringmeterDashboardData(c) {
        const refused = await refuseUnlessEveryTenant(access, c, 'json');
        if (refused !== undefined) return refused;
        // The pipeline state first: it needs no worker, so the page still shows why when the workers do not answer.
        const pipeline = pipelineReport(inner, staleExportMillis()).body;
        // The structured analytics read the analytics routes make (shared by concurrent callers, cancelled with them).
        const analytics = () => inner.reads.analytics({ all: true }, scrapeTimeoutMillis, c.req.raw.signal);
        const data = await readDashboardData(analytics, pipeline, errorMessage);
        return c.json(data, 200, { 'cache-control': 'no-store' });
      }),
    );
  }
  return app;
}

/**
 * The dashboard and GET /metrics show every tenant: 403 unless the caller may see them all, 500 if authorize
 * throws; in JSON, or for /metrics as a Prometheus comment line (a scraper logs the status either way).
 */
async function refuseUnlessEveryTenant(access: AccessPolicy<Context>, c: Context, as: 'json' | 'text'): Promise<Response | undefined> {
  const headers = { 'cache-control': 'no-store' };
  let error: string;
  let status: 403 | 500;
  try {
    if (await new CallerAccess(access, c).seesEveryTenant()) return undefined;
    [error, status] = ['not allowed to see every tenant', 403];
  } catch (failure) {
    if (!(failure instanceof AuthorizeFailed)) throw failure;
    [error, status] = ['authorize failed', 500];
  }
  return as === 'json' ? c.json({ error }, status, headers) : c.text(`# ringmeter: ${error}\n`, status, headers);
}
