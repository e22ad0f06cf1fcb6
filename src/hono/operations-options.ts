import type { Context } from 'hono';
import type { AccessPolicy } from '../operations/caller-access.js';
import { flag, integerIn, type OptionNames, optionalFunction, quote, refuseUnknownOptions, requireObject } from '../options/checks.js';

/** Where each operations endpoint is mounted; `false` leaves it out. */
export interface OperationsPaths {
  /** [default: '/health'] */
  health?: string | false;
  /** [default: '/metrics/health'] */
  metricsHealth?: string | false;
  /** [default: '/otel/performance'] */
  performance?: string | false;
  /** [default: '/metrics'] */
  metrics?: string | false;
  /** The live dashboard page, mounted only with `dashboard: true`; its data at `<path>/data`. [default: '/metrics/dashboard'] */
  dashboard?: string | false;
  /** The tenant list, mounted only with `authorize`; one tenant's report at `<path>/:id`. [default: '/metrics/tenants'] */
  tenants?: string | false;
  /** Per method + route analytics, mounted only with `authorize`. [default: '/metrics/endpoints'] */
  endpoints?: string | false;
  /** Database analytics, mounted only with `authorize`. [default: '/metrics/database'] */
  database?: string | false;
}

export interface OperationsRoutesOptions {
  paths?: OperationsPaths;
  /** How long GET /metrics (and the analytics routes) wait for every worker to answer; past it, 503. [default: 5000] */
  scrapeTimeoutMillis?: number;
  /**
   * /health and /metrics/health say `unhealthy` (503) when no export has finished for this long (a stuck export
   * timer or a backend that never answers). [default: 3 × otlp.exportIntervalMillis + otlp.timeoutMillis]
   */
  staleExportMillis?: number;
  /**
   * Mount the live dashboard page (docs/operations.md#get-metricsdashboard). Off by default; it lists every tenant,
   * so it needs `authorize` (or `authorizeTenants`) and answers only callers allowed for every tenant ('*').
   * [default: false]
   */
  dashboard?: boolean;
  /**
   * Mounts the analytics routes (GET /metrics/tenants, /metrics/tenants/:id, /metrics/endpoints, /metrics/database)
   * and decides what each caller sees: `authorize(c, tenantId)` for one tenant, `authorize(c, '*')` for all of them
   * (and the figures that span tenants, pseudo-tenants, GET /metrics). Sync or async; only `true` grants; a throw
   * answers 500. Asked about '*' and the tenants a request names, never about every tenant: a list for a caller not
   * allowed '*' holds the tenants it names with `?tenant=`. Without it (or `authorizeTenants`) the analytics routes
   * are not mounted. [default: undefined]
   */
  authorize?: (c: Context, tenant: string) => boolean | Promise<boolean>;
  /**
   * Instead of `authorize`: the caller's tenants, asked once per request: `'*'` for every tenant, or an array of
   * tenant ids. Sync or async; anything else, or a throw, answers 500. [default: undefined]
   */
  authorizeTenants?: (c: Context) => '*' | readonly string[] | Promise<'*' | readonly string[]>;
  /**
   * Who may read GET /metrics, whose series name every tenant: `'authorize'`, only callers allowed '*' (others get
   * 403); `'open'`, anyone who can reach it (a Prometheus on a private network). [default: 'authorize' with
   * `authorize` or `authorizeTenants`, else 'open']
   */
  metricsAccess?: 'authorize' | 'open';
}

export interface ResolvedOperationsOptions {
  paths: Required<OperationsPaths>;
  dashboard: boolean;
  /** From `authorize` or `authorizeTenants`; undefined when neither was given. */
  access: AccessPolicy<Context> | undefined;
  metricsAccess: 'authorize' | 'open';
  scrapeTimeoutMillis: number;
  staleExportMillis: number;
}

export const DEFAULT_OPERATIONS_PATHS: Readonly<Required<OperationsPaths>> = {
  health: '/health',
  metricsHealth: '/metrics/health',
  performance: '/otel/performance',
  metrics: '/metrics',
  dashboard: '/metrics/dashboard',
  tenants: '/metrics/tenants',
  endpoints: '/metrics/endpoints',
  database: '/metrics/database',
};
const DEFAULT_SCRAPE_TIMEOUT_MILLIS = 5_000;

const OPTION_NAMES: OptionNames<OperationsRoutesOptions> = {
  paths: true,
  scrapeTimeoutMillis: true,
  staleExportMillis: true,
  dashboard: true,
  authorize: true,
  authorizeTenants: true,
  metricsAccess: true,
};
const PATH_NAMES: OptionNames<OperationsPaths> = {
  health: true,
  metricsHealth: true,
  performance: true,
  metrics: true,
  dashboard: true,
  tenants: true,
  endpoints: true,
  database: true,
};
/** The paths mounted only with `authorize`. */
const ANALYTICS_PATHS = new Set(['tenants', 'endpoints', 'database']);

/** `otlp`: the collector's resolved export settings, which the staleness default derives from. */
export function resolveOperationsOptions(
  options: OperationsRoutesOptions = {},
  otlp: { exportIntervalMillis: number; timeoutMillis: number },
): ResolvedOperationsOptions {
  requireObject('operationsRoutes options', options);
  refuseUnknownOptions('options', options, OPTION_NAMES);
  const { paths = {} } = options;
  requireObject('options.paths', paths);
  refuseUnknownOptions('options.paths', paths, PATH_NAMES);
  const dashboard = flag('options.dashboard', options.dashboard ?? false);
  const access = accessPolicy(options);
  if (dashboard && access === undefined) {
    throw new TypeError(
      "options.dashboard needs options.authorize or options.authorizeTenants: the page lists every tenant, so it answers only callers allowed '*'",
    );
  }
  const { metricsAccess = access === undefined ? 'open' : 'authorize' } = options;
  if (metricsAccess !== 'authorize' && metricsAccess !== 'open')
    throw new TypeError(`options.metricsAccess must be 'authorize' or 'open' (got ${quote(metricsAccess)})`);
  if (metricsAccess === 'authorize' && access === undefined)
    throw new TypeError("options.metricsAccess 'authorize' needs options.authorize or options.authorizeTenants to ask");
  const resolved = { ...DEFAULT_OPERATIONS_PATHS, ...paths };
  const seen = new Set<string>();
  for (const [name, path] of Object.entries(resolved)) {
    if (path === false || (name === 'dashboard' && !dashboard) || (ANALYTICS_PATHS.has(name) && access === undefined)) continue;
    if (typeof path !== 'string') throw new TypeError(`options.paths.${name} must be a path string or false (got ${quote(path)})`);
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) {
      throw new RangeError(
        `options.paths.${name} must start with '/' and hold only letters, digits, '.', '_', '~', '-' and '/' (got ${quote(path)})`,
      );
    }
    if (seen.has(path)) throw new RangeError(`options.paths.${name} repeats the path ${quote(path)}`);
    seen.add(path);
    // The page polls its data at `<path>/data` and loads its script from `<path>/dashboard.js`, which must not
    // shadow another endpoint either.
    if (name === 'dashboard') {
      if (seen.has(dashboardDataPath(path)))
        throw new RangeError(`options.paths.dashboard puts its data on ${quote(dashboardDataPath(path))}, another endpoint's path`);
      seen.add(dashboardDataPath(path));
      if (seen.has(dashboardScriptPath(path)))
        throw new RangeError(`options.paths.dashboard puts its script on ${quote(dashboardScriptPath(path))}, another endpoint's path`);
      seen.add(dashboardScriptPath(path));
    }
  }
  return {
    paths: resolved,
    dashboard,
    access,
    metricsAccess,
    scrapeTimeoutMillis: millis('options.scrapeTimeoutMillis', options.scrapeTimeoutMillis ?? DEFAULT_SCRAPE_TIMEOUT_MILLIS),
    staleExportMillis: millis('options.staleExportMillis', options.staleExportMillis ?? 3 * otlp.exportIntervalMillis + otlp.timeoutMillis),
  };
}

/** The application's authorization, from exactly one of `authorize` and `authorizeTenants`. */
function accessPolicy(options: OperationsRoutesOptions): AccessPolicy<Context> | undefined {
  const authorize = optionalFunction<OperationsRoutesOptions['authorize']>(
    'options.authorize',
    options.authorize,
    '(c, tenantId) => boolean | Promise<boolean>',
    true,
  );
  const authorizeTenants = optionalFunction<OperationsRoutesOptions['authorizeTenants']>(
    'options.authorizeTenants',
    options.authorizeTenants,
    "(c) => '*' | string[] | Promise<'*' | string[]>",
    true,
  );
  if (authorize !== undefined && authorizeTenants !== undefined)
    throw new TypeError('options.authorize and options.authorizeTenants are two forms of one decision: give one of them');
  if (authorize !== undefined) return { authorize };
  return authorizeTenants === undefined ? undefined : { authorizeTenants };
}

/** A wait of these routes: from 1 ms to a day. */
function millis(name: string, value: unknown): number {
  return integerIn(name, value, 1, 86_400_000);
}

/** Where the dashboard page fetches its figures: beside the page, so one auth rule on a prefix covers both. */
export function dashboardDataPath(pagePath: string): string {
  return `${pagePath.replace(/\/+$/, '')}/data`;
}

/** Where the dashboard page's script is served: beside the page (dashboard-page.ts names the file). */
export function dashboardScriptPath(pagePath: string): string {
  return `${pagePath.replace(/\/+$/, '')}/dashboard.js`;
}
