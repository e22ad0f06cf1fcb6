import { AsyncLocalStorage } from 'node:async_hooks';
import { SYSTEM_ID } from './strings/layout.js';

/**
 * The tenant of the code running now, for the database hooks: the Hono middleware runs each request inside
 * `run(tenant, …)`, and a query made anywhere below it finds the tenant with `current()`. Work outside any
 * request is attributed to `system`.
 *
 * AsyncLocalStorage is not free (on Node 20 it makes every promise in the process a little dearer), so the
 * middleware enters a scope only once a database hook has called `enable()`: without DB metrics, nothing is paid.
 */
export class TenantScope {
  private readonly storage = new AsyncLocalStorage<number>();
  private active = false;

  get enabled(): boolean {
    return this.active;
  }

  enable(): void {
    this.active = true;
  }

  run<R>(tenant: number, fn: () => R): R {
    return this.storage.run(tenant, fn);
  }

  /** The string id of the current tenant, or SYSTEM_ID outside any request. */
  current(): number {
    return this.storage.getStore() ?? SYSTEM_ID;
  }
}
