import { reportSettlement } from '../database/settlement.js';
import type { PgliteState } from './client-state.js';
import type { PgliteClient, PgliteQueries, PgliteTransaction } from './pglite-client.js';

/** Read on a proxy, answers true: instrumentPglite refuses to wrap an instance twice (each query would count twice). */
export const INSTRUMENTED = Symbol('ringmeter.pglite.instrumented');

type Method = (...args: unknown[]) => unknown;

/**
 * Wraps a PGlite instance. `query`, `sql`, `exec` and `transaction` are observed; everything else (`close`,
 * `listen`, `describeQuery`, `dumpDataDir`, extensions…) is the instance's own. PGlite's methods read private
 * class members, which fail on a proxy: every method runs with the instance as `this`, and the ones not
 * observed are handed out bound to it (one bound function per method, kept).
 */
export function createClientProxy(state: PgliteState, client: PgliteClient): PgliteClient {
  const queries = observedQueries(state, client, true);
  const transaction = function transaction(...args: unknown[]): Promise<unknown> {
    const [callback] = args;
    if (typeof callback !== 'function') return (client.transaction as Method).apply(client, args) as Promise<unknown>;
    return trackTransaction(state, client, callback as (tx: PgliteTransaction) => Promise<unknown>);
  };
  const bound = new Map<string | symbol, { own: Method; bound: Method }>();
  return new Proxy(client, {
    get(target, property) {
      switch (property) {
        case 'query':
        case 'sql':
        case 'exec':
          return queries[property];
        case 'transaction':
          return transaction;
        case INSTRUMENTED:
          return true;
        default: {
          const value: unknown = Reflect.get(target, property);
          if (typeof value !== 'function') return value;
          let entry = bound.get(property);
          if (entry === undefined || entry.own !== value) {
            entry = { own: value as Method, bound: (value as Method).bind(target) };
            bound.set(property, entry);
          }
          return entry.bound;
        }
      }
    },
  });
}

/**
 * Runs `client.transaction` with a callback that gets the transaction's queries observed, and records how it
 * ended: commit when PGlite resolves it and the callback did not call `tx.rollback()`, rollback otherwise (the
 * callback failed, or COMMIT found the transaction aborted). Nothing is counted when the callback never ran:
 * BEGIN itself failed, so no transaction existed. The transaction holds the connection from the call to its end.
 */
function trackTransaction(
  state: PgliteState,
  client: PgliteClient,
  callback: (tx: PgliteTransaction) => Promise<unknown>,
): Promise<unknown> {
  // db switched off (configure()): the transaction runs as it is, its queries still reach their own check.
  if (!state.hooks.families.db) return client.transaction((tx) => callback(transactionProxy(state, tx, () => {})));
  const tenant = state.currentTenant();
  let entered = false;
  let rolledBack = false;
  state.busy++;
  const end = (committed: boolean): void => {
    state.busy--;
    if (entered) state.endTransaction(committed && !rolledBack, tenant);
  };
  return reportSettlement(
    () =>
      client.transaction((tx) => {
        entered = true;
        return callback(
          transactionProxy(state, tx, () => {
            rolledBack = true;
          }),
        );
      }),
    end,
  );
}

/** The transaction object with its queries observed (on the connection it holds) and `rollback()` noted. */
function transactionProxy(state: PgliteState, tx: PgliteTransaction, onRollback: () => void): PgliteTransaction {
  let queries: Record<keyof PgliteQueries, Method>;
  let rollback: PgliteTransaction['rollback'];
  try {
    queries = observedQueries(state, tx, false);
    rollback = function rollback(...args: unknown[]) {
      const done = (tx.rollback as Method).apply(tx, args) as Promise<void>;
      // Only a ROLLBACK that ran ends the transaction; a refused one (already closed) changes nothing.
      if (done instanceof Promise) done.then(onRollback, () => {});
      return done;
    };
  } catch {
    return tx;
  }
  return new Proxy(tx, {
    get(target, property) {
      switch (property) {
        case 'query':
        case 'sql':
        case 'exec':
          return queries[property];
        case 'rollback':
          return rollback;
        default:
          return Reflect.get(target, property);
      }
    },
  });
}

/** `query`, `sql` and `exec` of a client or transaction, observed; arguments pass on exactly as they came. */
function observedQueries(state: PgliteState, scope: PgliteQueries, holdsConnection: boolean): Record<keyof PgliteQueries, Method> {
  return {
    query(...args: unknown[]) {
      return state.track(
        () => state.textId(args[0]),
        holdsConnection,
        () => (scope.query as Method).apply(scope, args) as Promise<unknown>,
      );
    },
    sql(...args: unknown[]) {
      return state.track(
        () => state.templateId(args[0]),
        holdsConnection,
        () => (scope.sql as Method).apply(scope, args) as Promise<unknown>,
      );
    },
    exec(...args: unknown[]) {
      return state.track(
        () => state.textId(args[0]),
        holdsConnection,
        () => (scope.exec as Method).apply(scope, args) as Promise<unknown>,
      );
    },
  };
}

export function isInstrumented(client: PgliteClient): boolean {
  return (client as unknown as Record<symbol, unknown>)[INSTRUMENTED] === true;
}
