import type { Context, Hono } from 'hono';
import type { Collector } from '../collector.js';
import type { ShardAnalytics, TenantAnalytics } from '../contract/analytics.js';
import { isPseudoTenant } from '../contract/strings-layout.js';
import { internals } from '../internal.js';
import { type AccessPolicy, AuthorizeFailed, CallerAccess, MAX_NAMED_TENANTS } from '../operations/caller-access.js';
import { databaseReport } from '../operations/database-analytics.js';
import { endpointReports } from '../operations/endpoint-analytics.js';
import { tenantReport, tenantSummary } from '../operations/tenant-report.js';
import { shownTenant, shownTenants } from '../operations/tenant-visibility.js';
import { errorMessage } from '../secrets/redact.js';
import { untracked } from './untracked.js';

export interface AnalyticsPaths {
  tenants: string | false;
  endpoints: string | false;
  database: string | false;
}

/** What a list body is built from: the tenants shown, and whether the caller may see every tenant. */
interface Shown {
  all: boolean;
  tenants: TenantAnalytics[];
}

/**
 * GET <tenants>, <tenants>/:id, <endpoints> and <database> on `app`, each answering only what `access` lets the
 * caller see (caller-access.ts, tenant-visibility.ts): 403 for a tenant it may not see, 404 for one it may see that
 * is not known, 400 for a bad `?tenant=`, 500 if the application's function throws, 503 if a worker does not answer
 * within `timeoutMillis`. Mounted by operationsRoutes only when the application passes `authorize` or
 * `authorizeTenants`.
 */
export function mountAnalyticsRoutes(
  app: Hono,
  collector: Collector,
  access: AccessPolicy<Context>,
  paths: AnalyticsPaths,
  timeoutMillis: number,
): void {
  const inner = internals(collector);

  /** A list route: the tenants the caller may see (and names), answered as `{ at, ...body }`. */
  const shownList = (body: (shown: Shown, shards: ShardAnalytics[]) => object) =>
    untracked((c: Context) =>
      answer(c, async () => {
        const named = namedTenants(c);
        if (typeof named === 'string') return c.json({ error: named }, 400, NO_STORE);
        const listing = await new CallerAccess(access, c).listing(named);
        if (listing === undefined) {
          return c.json(
            { error: `not allowed to see every tenant: name the tenants to list with ?tenant=<id> (at most ${MAX_NAMED_TENANTS})` },
            403,
            NO_STORE,
          );
        }
        const { tenants, everyTenant } = listing;
        // Only the tenants to show cross to this thread: a caller allowed three of 10,000 tenants costs three.
        const shards = await inner.reads.analytics(tenants === '*' ? { all: true } : { all: false, tenants: [...tenants] }, timeoutMillis);
        // A list narrowed by ?tenant= withholds the figures that span every tenant, even from a '*' caller.
        const shown = { all: tenants === '*', tenants: shownTenants(shards, everyTenant) };
        return c.json({ at: new Date(latest(shards)).toISOString(), ...body(shown, shards) }, 200, NO_STORE);
      }),
    );

  if (paths.tenants !== false) {
    app.get(
      paths.tenants,
      shownList(({ tenants }) => ({ tenants: tenants.map(tenantSummary) })),
    );
    app.get(
      `${paths.tenants.replace(/\/+$/, '')}/:id`,
      untracked(async function ringmeterTenant(c) {
        return answer(c, async () => {
          const id = c.req.param('id') ?? '';
          const caller = new CallerAccess(access, c);
          // Authorization before existence: a caller who may not see a tenant must not learn whether it exists.
          // A reserved id names pooled traffic, shown to '*' callers only; a caller allowed just that name is
          // told there is no such tenant (there never is one: a real tenant cannot bear the name).
          const everyTenant = isPseudoTenant(id) && (await caller.seesEveryTenant());
          if (!everyTenant && !(await caller.sees(id))) return c.json({ error: 'not allowed to see this tenant' }, 403, NO_STORE);
          const found =
            isPseudoTenant(id) && !everyTenant
              ? undefined
              : shownTenant(await inner.reads.analytics({ all: false, tenants: [id] }, timeoutMillis), id, everyTenant);
          if (found === undefined) return c.json({ error: 'no such tenant' }, 404, NO_STORE);
          return c.json(tenantReport(found), 200, NO_STORE);
        });
      }),
    );
  }
  if (paths.endpoints !== false) {
    app.get(
      paths.endpoints,
      shownList(({ tenants, all }, shards) => ({ endpoints: endpointReports(tenants, shards, all) })),
    );
  }
  if (paths.database !== false) {
    app.get(
      paths.database,
      shownList(({ tenants, all }, shards) => databaseReport(tenants, shards, all, collector.options.slowQueryMillis)),
    );
  }
}

const NO_STORE = { 'cache-control': 'no-store' };

/** The `?tenant=` ids of a list request (repeated, not split on commas: an id may hold one), or what is wrong. */
function namedTenants(c: Context): string[] | undefined | string {
  const named = c.req.queries('tenant');
  if (named === undefined) return undefined;
  const unique = [...new Set(named)];
  if (unique.length > MAX_NAMED_TENANTS) return `at most ${MAX_NAMED_TENANTS} tenant parameters (got ${unique.length})`;
  if (unique.includes('')) return 'a tenant parameter is empty';
  return unique;
}

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
