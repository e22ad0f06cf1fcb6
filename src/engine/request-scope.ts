import { AsyncLocalStorage } from 'node:async_hooks';
import { SYSTEM_ID } from '../contract/strings-layout.js';

/** A tenant that is worked out only when someone asks (the Hono middleware resolves the request's on demand). */
export interface TenantSource {
  tenantId(): number;
}

/**
 * The request scope: the tenant of the code running now, for the database hooks: the Hono middleware runs each request inside
 * `run(…)`, and a query made anywhere below it finds the tenant with `current()`. Work outside any request is
 * attributed to `system`.
 *
 * AsyncLocalStorage is not free (on Node 20 it makes every promise in the process a little dearer), so the
 * middleware enters a scope only once a database hook has called `enable()`: without DB metrics, nothing is paid.
 */
export class RequestScope {
  private readonly storage = new AsyncLocalStorage<number | TenantSource>();
  private active = false;

  get enabled(): boolean {
    return this.active;
  }

  enable(): void {
    this.active = true;
  }

  /** Runs `fn` with `tenant` (a string id, or a source that yields one) as the current tenant. */
  run<R>(tenant: number | TenantSource, fn: () => R): R {
    return this.storage.run(tenant, fn);
  }

  /** The string id of the current tenant, or SYSTEM_ID outside any request. */
  current(): number {
    const tenant = this.storage.getStore();
    if (tenant === undefined) return SYSTEM_ID;
    return typeof tenant === 'number' ? tenant : tenant.tenantId();
  }
}
