import type { CollectorInternals } from '../internal.js';
import { SYSTEM_ID } from '../contract/strings-layout.js';
import { optionalFunction } from '../options/checks.js';

/** The application's own answer to "which tenant is this code working for?", e.g. read from its request context. */
export type TenantResolver = () => string | null | undefined;

/**
 * How a database hook finds the tenant of the code running a query. By default, the request scope the Hono
 * middleware keeps (turned on here, since it has a cost: see RequestScope, engine/request-scope.ts). With the application's own resolver,
 * that scope is not needed: a service that already carries a request context (its own AsyncLocalStorage, an
 * OpenTelemetry context) reads the tenant from there and pays for no second one.
 *
 * A resolver's undefined or null is work outside any request: `system`. What it gives that is no tenant id (a
 * number, an object, '', a reserved name), and a resolver that throws, are `invalid`, counted in
 * stats().rejectedBy under `<hook>.tenant` (`instrumentPostgres.tenant`): the query is recorded all the same.
 */
export function currentTenantFor(hooks: CollectorInternals, resolver: TenantResolver | undefined, hook: string): () => number {
  if (resolver === undefined) {
    hooks.requestScope.enable();
    return () => hooks.requestScope.current();
  }
  const reason = `${hook}.tenant`;
  return () => {
    let tenant: unknown;
    try {
      tenant = resolver();
    } catch {
      return hooks.labels.invalidTenant(reason);
    }
    if (tenant === undefined || tenant === null) return SYSTEM_ID;
    return hooks.labels.tenantId(tenant, reason);
  };
}

/** Checks a `tenant` option: undefined or a function. */
export function tenantResolverOption(value: unknown): TenantResolver | undefined {
  return optionalFunction<TenantResolver>('options.tenant', value, '() => string | undefined');
}
