/**
 * ringmeter/postgres: per-tenant query, transaction and pool metrics for a postgres.js client, whether the queries
 * come from Drizzle or from postgres.js directly. See docs/database.md.
 */
import type { Sql } from 'postgres';
import type { Collector } from '../collector.js';
import { currentTenantFor } from '../database/tenant-resolver.js';
import { internals, requireCollector } from '../internal.js';
import { ClientState } from './client-state.js';
import { resolvePostgresOptions, type PostgresInstrumentationOptions } from './options.js';
import { isPostgresClient } from './postgres-js.js';
import { createScopeProxy, isInstrumented } from './scope-proxy.js';

export type { PostgresInstrumentationOptions } from './options.js';

/**
 * Returns `sql` instrumented: every query it runs (tagged templates, `unsafe`, `file`, inside `begin` and
 * `savepoint` callbacks and on reserved connections) is recorded with its duration, outcome, SQLSTATE class,
 * query type, table and the tenant of the surrounding request; transactions and savepoints with commit or
 * rollback; and the pool gauges with the client's connections in use. Use the returned client in place of the
 * original. While db metrics are switched off (`metrics.db`, at creation or by configure()) it records nothing: a
 * query or transaction is observed if db metrics are on when it starts.
 *
 * Throws a TypeError or RangeError for a bad argument; the returned client never throws because of metrics.
 */
// biome-ignore lint/suspicious/noExplicitAny: a client with custom types (Sql<{ bigint: bigint }>) must be accepted, and its serializers make the type parameter contravariant: only `any` admits every one.
export function instrumentPostgres<T extends Sql<any>>(collector: Collector, sql: T, options: PostgresInstrumentationOptions = {}): T {
  requireCollector(collector);
  if (!isPostgresClient(sql)) throw new TypeError('sql must be a postgres.js client (what postgres() returns)');
  if (isInstrumented(sql)) throw new TypeError('sql is already instrumented: pass the client postgres() returned, once');
  const resolved = resolvePostgresOptions(options, sql);
  const hooks = internals(collector);
  hooks.postgresInstrumented = true;
  // Queries are attributed to the tenant of the request around them: the middleware's scope, or the app's resolver.
  const client = new ClientState(
    hooks,
    hooks.labels.labelId(resolved.database),
    resolved.connectionLimit,
    currentTenantFor(hooks, resolved.tenant, 'instrumentPostgres'),
  );
  return createScopeProxy(client, sql, 'client') as unknown as T;
}
