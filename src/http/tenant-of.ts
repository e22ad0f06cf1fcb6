import { UNKNOWN_ID } from '../contract/strings-layout.js';
import type { CollectorInternals } from '../internal.js';

type Labels = CollectorInternals['labels'];

/**
 * The rules every HTTP middleware applies to a request's tenant (the same ids, the same `invalid` counts): the
 * tenant's string id, never negative.
 */

/**
 * The built-in tenant: the raw `x-tenant-id` header as Node parsed it. A missing or empty header is a client that
 * sent none: anonymous (`unknown`), not invalid. A repeated header counts by its first value.
 */
export function headerTenant(labels: Labels, value: string | string[] | undefined, reason: string): number {
  const tenant = Array.isArray(value) ? value[0] : value;
  return tenant === undefined || tenant === '' ? UNKNOWN_ID : labels.tenantId(tenant, reason);
}

/**
 * The application's resolver, called with `argument`. What it gives that is no tenant id (a number, an object,
 * '', a reserved name), and a resolver that throws, are `invalid`, counted in stats().rejectedBy[reason]: the
 * application's mistake, never the request's failure.
 */
export function resolvedTenant<A>(labels: Labels, resolver: (argument: A) => unknown, argument: A, reason: string): number {
  let tenant: unknown;
  try {
    tenant = resolver(argument);
  } catch {
    return labels.invalidTenant(reason);
  }
  return labels.tenantId(tenant, reason);
}
