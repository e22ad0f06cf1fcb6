import type { ClientState } from './client-state.js';
import type { Settler } from './in-flight.js';
import type { PostgresQuery } from './postgres-js.js';

/**
 * Starts timing a query that postgres.js is handing to a connection, and records it once it settles.
 *
 * A postgres.js Query is settled by its connection calling `query.resolve(result)` or `query.reject(error)`, read
 * from the object at that moment. Replacing those two fields with wrappers that record, then call the originals,
 * observes the outcome without subscribing to the Query (a `.then` would start a lazy query) and without any
 * microtask: the record is written before the application's `await` resumes. The wrappers come from the
 * client's in-flight slots (in-flight.ts), so this allocates nothing of its own (Node 20's clock does).
 *
 * A cursor's async iterator installs a fresh resolve/reject pair for every batch of rows; for a cursor the two
 * fields become accessors, so the wrappers stay in place and call whichever pair was installed last (the one
 * that ends the cursor). Cursors are rare: they get closures of their own.
 *
 * `holdsConnection`: the query runs on a connection of the pool rather than one a transaction or reservation
 * already holds, so it counts in `client.busy` while in flight.
 */
export function observeQuery(client: ClientState, query: PostgresQuery, holdsConnection: boolean): void {
  const started = performance.now();
  const tenant = client.currentTenant();
  const inUse = holdsConnection ? ++client.busy : client.busy;
  if (query.cursorFn === undefined) client.inFlight.add(query, started, tenant, inUse, holdsConnection);
  else observeCursor(client, query, started, tenant, inUse, holdsConnection);
}

function observeCursor(
  client: ClientState,
  query: PostgresQuery,
  started: number,
  tenant: number,
  inUse: number,
  holdsConnection: boolean,
): void {
  let resolve = query.resolve;
  let reject = query.reject;
  let settled = false;
  const settle = (failed: boolean, value: unknown): void => {
    if (settled) return;
    settled = true;
    client.recordQuery(query, started, tenant, inUse, holdsConnection, failed, value);
  };
  const resolved = (value: unknown): unknown => {
    settle(false, value);
    return resolve(value);
  };
  const rejected = (error: unknown): unknown => {
    settle(true, error);
    return reject(error);
  };
  Object.defineProperty(query, 'resolve', {
    configurable: true,
    enumerable: true,
    get: () => resolved,
    set: (settler: Settler) => {
      resolve = settler;
    },
  });
  Object.defineProperty(query, 'reject', {
    configurable: true,
    enumerable: true,
    get: () => rejected,
    set: (settler: Settler) => {
      reject = settler;
    },
  });
}
