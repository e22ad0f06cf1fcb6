/**
 * Which tenants a caller of the analytics routes may see, as the application's `authorize` decides. `'*'` asks
 * whether the caller may see every tenant (and the figures that span tenants: route and query percentiles, the
 * pool); otherwise each tenant is asked about by id. Generic over the request context so that this file stays
 * free of any framework.
 */
import type { TenantAnalytics } from '../contract/analytics.js';

/** The caller may see `tenant` (or, for '*', every tenant). May be async; a throw answers 500. */
export type Authorize<C> = (c: C, tenant: string) => boolean | Promise<boolean>;

/** Every tenant, for `authorize(c, '*')`. */
export const ALL_TENANTS = '*';

/** Thrown (wrapped) when `authorize` throws or rejects: the route answers 500 without its message. */
export class AuthorizeFailed extends Error {
  constructor(cause: unknown) {
    super('ringmeter: authorize threw', { cause });
  }
}

export async function allowed<C>(authorize: Authorize<C>, c: C, tenant: string): Promise<boolean> {
  try {
    // Only `true` grants: a truthy non-boolean (a forgotten `await` on a promise of false) must not.
    return (await authorize(c, tenant)) === true;
  } catch (error) {
    throw new AuthorizeFailed(error);
  }
}

export interface Visible {
  /** The caller may see every tenant. */
  all: boolean;
  tenants: TenantAnalytics[];
}

/**
 * The tenants of `tenants` the caller may see. One `'*'` question first; only when it says no is each tenant
 * asked about, in order (an authorize that looks something up is asked once per tenant, never concurrently).
 */
export async function visibleTenants<C>(authorize: Authorize<C>, c: C, tenants: readonly TenantAnalytics[]): Promise<Visible> {
  if (await allowed(authorize, c, ALL_TENANTS)) return { all: true, tenants: [...tenants] };
  const shown: TenantAnalytics[] = [];
  for (const tenant of tenants) if (await allowed(authorize, c, tenant.tenant)) shown.push(tenant);
  return { all: false, tenants: shown };
}
