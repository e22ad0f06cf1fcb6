import type { CollectorInternals } from '../internal.js';
import { INVALID_ID, SYSTEM_ID } from '../contract/strings-layout.js';

/** The application's own answer to "which tenant is this code working for?", e.g. read from its request context. */
export type TenantResolver = () => string | null | undefined;

/**
 * How a database hook finds the tenant of the code running a query. By default, the request scope the Hono
 * middleware keeps (turned on here, since it has a cost: see TenantScope). With the application's own resolver,
 * that scope is not needed: a service that already carries a request context (its own AsyncLocalStorage, an
 * OpenTelemetry context) reads the tenant from there and pays for no second one.
 */
export function currentTenantFor(hooks: CollectorInternals, resolver: TenantResolver | undefined): () => number {
  if (resolver === undefined) {
    hooks.tenantScope.enable();
    return () => hooks.tenantScope.current();
  }
  return () => {
    try {
      const tenant = resolver();
      if (tenant === undefined || tenant === null) return SYSTEM_ID;
      const id = hooks.tenantId(tenant);
      return id < 0 ? INVALID_ID : id;
    } catch {
      return SYSTEM_ID;
    }
  };
}

/** Checks a `tenant` option: undefined or a function. */
export function tenantResolverOption(value: unknown): TenantResolver | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError('options.tenant must be a function () => string | undefined');
  return value as TenantResolver | undefined;
}
