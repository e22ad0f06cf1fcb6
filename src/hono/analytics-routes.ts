import type { Context, Hono } from 'hono';
import type { Collector } from '../collector.js';
import type { ShardAnalytics, TenantAnalytics } from '../contract/analytics.js';
import { internals } from '../internal.js';
import { databaseReport } from '../operations/database-analytics.js';
import { endpointReports } from '../operations/endpoint-analytics.js';
import { findTenant, tenantReport, tenantSummary } from '../operations/tenant-report.js';
import { allowed, AuthorizeFailed, visibleTenants, type Authorize, type Visible } from '../operations/tenant-visibility.js';
import { errorMessage } from '../redact.js';
import { untracked } from './untracked.js';

export interface AnalyticsPaths {
  tenants: string | false;
  endpoints: string | false;
  database: string | false;
}

/**
 * GET <tenants>, <tenants>/:id, <endpoints> and <database> on `app`, each answering only what `authorize` lets the
 * caller see (tenant-visibility.ts): 403 for a tenant it may not see, 404 for one it may see that is not known,
 * 500 if authorize throws, 503 if a worker does not answer within `timeoutMillis`. Mounted by operationsRoutes
 * only when the application passes `authorize`.
 */
export function mountAnalyticsRoutes(
  app: Hono,
  collector: Collector,
  authorize: Authorize<Context>,
  paths: AnalyticsPaths,
  timeoutMillis: number,
): void {
  const inner = internals(collector);
  const everyTenant = () => inner.analytics({ all: true }, timeoutMillis);
  const tenantsOf = (shards: ShardAnalytics[]): TenantAnalytics[] =>
    shards.flatMap((shard) => shard.tenants).sort((a, b) => a.tenant.localeCompare(b.tenant));

  /** A list route: every shard's analytics, cut to the tenants the caller may see, answered as `{ at, ...body }`. */
  const visibleList = (body: (visible: Visible, shards: ShardAnalytics[]) => object) =>
    untracked((c: Context) =>
      answer(c, async () => {
        const shards = await everyTenant();
        const visible = await visibleTenants(authorize, c, tenantsOf(shards));
        return c.json({ at: new Date(latest(shards)).toISOString(), ...body(visible, shards) }, 200, NO_STORE);
      }),
    );

  if (paths.tenants !== false) {
    app.get(
      paths.tenants,
      visibleList(({ tenants }) => ({ tenants: tenants.map(tenantSummary) })),
    );
    app.get(
      `${paths.tenants.replace(/\/+$/, '')}/:id`,
      untracked(async function ringmeterTenant(c) {
        return answer(c, async () => {
          const id = c.req.param('id') ?? '';
          // Authorization before existence: a caller who may not see a tenant must not learn whether it exists.
          if (!(await allowed(authorize, c, id))) return c.json({ error: 'not allowed to see this tenant' }, 403, NO_STORE);
          const found = findTenant(await inner.analytics({ all: false, tenants: [id] }, timeoutMillis), id);
          if (found === undefined) return c.json({ error: 'no such tenant' }, 404, NO_STORE);
          return c.json(tenantReport(found), 200, NO_STORE);
        });
      }),
    );
  }
  if (paths.endpoints !== false) {
    app.get(
      paths.endpoints,
      visibleList(({ tenants, all }, shards) => ({ endpoints: endpointReports(tenants, shards, all) })),
    );
  }
  if (paths.database !== false) {
    app.get(
      paths.database,
      visibleList(({ tenants, all }, shards) => databaseReport(tenants, shards, all, collector.options.slowQueryMillis)),
    );
  }
}

const NO_STORE = { 'cache-control': 'no-store' };

/** When the newest shard answered (each reads its own clock). */
function latest(shards: readonly ShardAnalytics[]): number {
  return shards.reduce((newest, shard) => Math.max(newest, shard.atMillis), 0);
}

/** Runs a handler's body; a throwing authorize answers 500, a worker that does not answer 503, never with a stack. */
async function answer(c: Context, body: () => Promise<Response>): Promise<Response> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof AuthorizeFailed) return c.json({ error: 'authorize failed' }, 500, NO_STORE);
    return c.json({ error: `analytics unavailable: ${errorMessage(error)}` }, 503, NO_STORE);
  }
}
