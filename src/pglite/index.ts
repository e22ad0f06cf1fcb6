/**
 * ringmeter/pglite: per-tenant query, transaction and pool metrics for PGlite (@electric-sql/pglite), the
 * embedded PostgreSQL, whether the queries come from Drizzle (drizzle-orm/pglite) or from PGlite directly.
 * See docs/database.md.
 */
import type { Collector } from '../collector.js';
import { currentTenantFor } from '../database/tenant-resolver.js';
import { internals, requireCollector } from '../internal.js';
import { PgliteState } from './client-state.js';
import { resolvePgliteOptions, type PgliteInstrumentationOptions } from './options.js';
import { isPgliteClient, type PgliteClient } from './pglite-client.js';
import { createClientProxy, isInstrumented } from './scope-proxy.js';

export type { PgliteInstrumentationOptions } from './options.js';

/**
 * Returns `pglite` instrumented: every `query`, `sql` and `exec` it runs, inside `transaction` callbacks too, is
 * recorded with its duration, outcome, SQLSTATE class, query type, table and the tenant of the surrounding
 * request; transactions with commit or rollback; and the pool gauges as a pool of one connection. Use the
 * returned instance in place of the original (`drizzle(instrumentPglite(collector, pglite))`). While db metrics
 * are switched off (`metrics.db`, at creation or by configure()) it records nothing: a query or transaction is
 * observed if db metrics are on when it starts.
 *
 * Throws a TypeError or RangeError for a bad argument; the returned instance never throws because of metrics,
 * never reads query parameters, and hands back PGlite's own results and errors.
 */
export function instrumentPglite<T extends object>(collector: Collector, pglite: T, options: PgliteInstrumentationOptions = {}): T {
  requireCollector(collector);
  if (!isPgliteClient(pglite)) throw new TypeError('pglite must be a PGlite instance (what new PGlite() or PGlite.create() returns)');
  if (isInstrumented(pglite)) throw new TypeError('pglite is already instrumented: pass the instance new PGlite() returned, once');
  const resolved = resolvePgliteOptions(options);
  const hooks = internals(collector);
  // The Drizzle logger then stands aside: this instance records each query itself, timed, so it is counted once.
  hooks.postgresInstrumented = true;
  const state = new PgliteState(
    hooks,
    hooks.labels.labelId(resolved.database),
    currentTenantFor(hooks, resolved.tenant, 'instrumentPglite'),
  );
  return createClientProxy(state, pglite as PgliteClient) as unknown as T;
}
