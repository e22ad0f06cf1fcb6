import { QUERY_KEY_IS_SQL, QUERY_SUCCESS } from '../ring/layout.js';
import type { ClientState } from './client-state.js';
import { sqlStateClassOfError } from './error-class.js';
import type { PostgresQuery } from './postgres-js.js';

type Settler = (value: unknown) => unknown;

/**
 * Starts timing a query that postgres.js is handing to a connection, and records it once it settles.
 *
 * A postgres.js Query is settled by its connection calling `query.resolve(result)` or `query.reject(error)`, read
 * from the object at that moment. Replacing those two fields with wrappers that record, then call the originals,
 * observes the outcome without subscribing to the Query (a `.then` would start a lazy query) and without any
 * microtask: the record is written before the application's `await` resumes. Per query this allocates one
 * closure context and the two wrappers.
 *
 * A cursor's async iterator installs a fresh resolve/reject pair for every batch of rows; for a cursor the two
 * fields become accessors, so the wrappers stay in place and call whichever pair was installed last (the one
 * that ends the cursor).
 *
 * `holdsConnection`: the query runs on a connection of the pool rather than one a transaction or reservation
 * already holds, so it counts in `client.busy` while in flight.
 */
export function observeQuery(client: ClientState, query: PostgresQuery, holdsConnection: boolean): void {
  const started = performance.now();
  const tenant = client.hooks.tenantScope.current();
  const inUse = holdsConnection ? ++client.busy : client.busy;
  let resolve = query.resolve;
  let reject = query.reject;
  let settled = false;

  // Arrows, like the settlers postgres.js installs (which ignore `this`): the fields keep one kind of value.
  const resolved = (value: unknown): unknown => {
    if (!settled) {
      settled = true;
      record(client, query, holdsConnection, started, tenant, inUse, false, undefined);
    }
    return resolve(value);
  };
  const rejected = (error: unknown): unknown => {
    if (!settled) {
      settled = true;
      record(client, query, holdsConnection, started, tenant, inUse, true, error);
    }
    return reject(error);
  };

  if (query.cursorFn === undefined) {
    query.resolve = resolved;
    query.reject = rejected;
    return;
  }
  Object.defineProperty(query, 'resolve', {
    configurable: true, enumerable: true, get: () => resolved, set: (settler: Settler) => { resolve = settler; },
  });
  Object.defineProperty(query, 'reject', {
    configurable: true, enumerable: true, get: () => rejected, set: (settler: Settler) => { reject = settler; },
  });
}

function record(
  client: ClientState, query: PostgresQuery, holdsConnection: boolean, started: number, tenant: number, inUse: number,
  failed: boolean, error: unknown,
): void {
  if (holdsConnection) client.busy--;
  try {
    client.hooks.writeQuery(
      failed ? QUERY_KEY_IS_SQL : QUERY_KEY_IS_SQL | QUERY_SUCCESS, failed ? sqlStateClassOfError(error) : 0,
      client.sqlIds.of(query), tenant, client.database, (performance.now() - started) / 1000, inUse, client.connectionLimit,
    );
  } catch {
    // Metrics must never change what the application sees: the query's own outcome goes on regardless.
  }
}
