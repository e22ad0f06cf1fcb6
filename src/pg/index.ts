/**
 * ringmeter/pg: per-tenant query, transaction and pool metrics for node-postgres (pg 8), whether the queries come
 * from Drizzle (drizzle-orm/node-postgres), Prisma's @prisma/adapter-pg or pg directly. See docs/pg.md.
 */
import type { Collector } from '../collector.js';
import { type DatabaseHookOptions, resolveDatabaseHookOptions } from '../database/hook-options.js';
import { currentTenantFor } from '../database/tenant-resolver.js';
import { internals, requireCollector } from '../internal.js';
import { isPgClient, isPgPool } from './node-postgres.js';
import { createClientProxy, createPoolProxy, isInstrumented } from './pg-proxies.js';
import { PgState } from './pg-state.js';

/** `database` [default: `'postgres'`] and `tenant`: see docs/pg.md. */
export type PgInstrumentationOptions = DatabaseHookOptions;

const DEFAULT_DATABASE = 'postgres';

/**
 * Returns `pool` (a pg.Pool, or a pg.Client) instrumented: every `query` it runs, in every form (text, config
 * object, promise or callback style; `pool.query` and the clients `pool.connect()` hands out) is recorded with its
 * duration, outcome, SQLSTATE class, query type, table and the tenant of the surrounding request; BEGIN and
 * COMMIT / ROLLBACK on one client as a transaction committed or rolled back; and the pool gauges from the pool's
 * own counts. Use the returned object in place of the original (`drizzle(instrumentPg(collector, pool))`,
 * `new PrismaPg(instrumentPg(collector, pool))`). While db metrics are switched off (`metrics.db`) it records
 * nothing: a query is observed if db metrics are on when it is called.
 *
 * Throws a TypeError or RangeError for a bad argument; the returned object never throws because of metrics,
 * never reads query parameters or connection settings, and hands back pg's own results and errors.
 */
export function instrumentPg<T extends object>(collector: Collector, pool: T, options: PgInstrumentationOptions = {}): T {
  requireCollector(collector);
  const isPool = isPgPool(pool);
  if (!isPool && !isPgClient(pool)) throw new TypeError('pool must be a node-postgres pg.Pool or pg.Client (new Pool(), new Client())');
  if (isInstrumented(pool)) throw new TypeError('pool is already instrumented: pass the pg.Pool or pg.Client you created, once');
  const resolved = resolveDatabaseHookOptions(options, DEFAULT_DATABASE);
  const hooks = internals(collector);
  // The Drizzle logger then stands aside: this pool records each query itself, timed, so it is counted once.
  hooks.postgresInstrumented = true;
  const state = new PgState(
    hooks,
    hooks.labels.labelId(resolved.database),
    currentTenantFor(hooks, resolved.tenant, 'instrumentPg'),
    isPool ? pool : undefined,
  );
  return (isPool ? createPoolProxy(state, pool) : createClientProxy(state, pool)) as unknown as T;
}
