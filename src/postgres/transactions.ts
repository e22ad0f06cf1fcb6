import { recordEndedTransaction } from '../database/records.js';
import { reportSettlement } from '../database/settlement.js';
import type { ClientState } from './client-state.js';

type Callback = (sql: unknown) => unknown;

/**
 * Runs a postgres.js `begin` (nested = false) or `savepoint` (nested = true) whose callback gets an instrumented
 * sql, and records how it ended: commit when postgres.js resolves it, rollback when it rejects. postgres.js rolls
 * back (to the savepoint) when the callback fails, and a failed COMMIT rejects too: the server has then rolled
 * the transaction back, so rollback is what is counted.
 *
 * Nothing is counted when the callback never ran: BEGIN or SAVEPOINT itself failed, so no transaction existed.
 * A top-level transaction holds a connection from the moment it is asked for until it ends: it counts in
 * `client.busy` meanwhile (its own queries then do not).
 *
 * `start` calls postgres.js with the wrapped callback; its promise (a new one, one tick later than postgres.js's)
 * settles exactly as postgres.js's does.
 */
export function trackTransaction(
  client: ClientState,
  nested: boolean,
  callback: Callback,
  instrumentScope: (sql: unknown) => unknown,
  start: (callback: Callback) => Promise<unknown>,
): Promise<unknown> {
  // db switched off (configure()): the transaction runs as it is, its queries still reach their own check.
  if (!client.families.db) return start((sql) => callback(instrumentedOrAsIs(instrumentScope, sql)));
  const hooks = client.hooks;
  const tenant = client.currentTenant();
  let entered = false;
  if (!nested) client.busy++;
  const end = (committed: boolean): void => {
    if (!nested) client.busy--;
    // Never lets metrics change the transaction's outcome: a failure is counted and named in health().
    if (entered) recordEndedTransaction(hooks, 'instrumentPostgres', committed, nested, tenant, client.database);
  };
  return reportSettlement(
    () =>
      start((sql) => {
        entered = true;
        return callback(instrumentedOrAsIs(instrumentScope, sql));
      }),
    end,
  );
}

function instrumentedOrAsIs(instrumentScope: (sql: unknown) => unknown, sql: unknown): unknown {
  try {
    return instrumentScope(sql);
  } catch {
    return sql;
  }
}
