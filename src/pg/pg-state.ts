import { EMPTY_ID } from '../contract/strings-layout.js';
import { recordEndedTransaction, recordSettledQuery } from '../database/records.js';
import { sqlStateClassOfServerError } from '../database/server-error-class.js';
import type { CollectorInternals } from '../internal.js';
import { isSubmittable, type PgCallback, type PgPool, type PgQueryable } from './node-postgres.js';
import { BEGIN, COMMIT, NOT_CONTROL, transactionStatement, type TransactionStatement } from './transaction-statements.js';

const HOOK = 'instrumentPg';

/** What the proxies of one instrumented pool (or client) share: the collector, the labels, the pool, open transactions. */
export class PgState {
  /**
   * The transaction open on each connection (a pg Client: one connection), as the tenant that opened it. Keyed
   * by pg's own client object, which the pool hands out again and again, so a COMMIT on a later checkout still
   * ends the transaction a BEGIN opened. Only the main thread touches it, when a query settles.
   */
  private readonly openTransactions = new WeakMap<object, number>();
  /** The families switch of the collector (changed in place by configure()). */
  private readonly families: CollectorInternals['families'];

  constructor(
    readonly hooks: CollectorInternals,
    /** String id of the database label. */
    readonly database: number,
    /** The string id of the tenant of the code running now (see database/tenant-resolver.ts). */
    readonly currentTenant: () => number,
    /** The pool whose counts the gauges read; undefined for a lone Client (no pool gauges). */
    private readonly pool: PgPool | undefined,
  ) {
    this.families = hooks.families;
  }

  /**
   * Runs `target.query(...args)` and records it once it settles: duration from the call (waiting for a pool
   * connection included), outcome, SQLSTATE class, and the pool's counts as they stood at the call. `connection`:
   * the pg client the query runs on when it is one of its own (a checked-out or lone client), where BEGIN, COMMIT
   * and ROLLBACK are transactions rather than queries; undefined for `pool.query` (any connection).
   *
   * Hands back exactly what pg returns (its promise, or undefined in callback style) and calls the caller's
   * callback with pg's own arguments. `configCallback`: pg.Client honours a `callback` field of a query config
   * (pg.Pool does not), which then has to be observed too.
   */
  run(target: PgQueryable, args: unknown[], connection: object | undefined, configCallback: boolean): unknown {
    if (!this.families.db) return Reflect.apply(target.query, target, args);
    const config = args[0];
    let observe: (failed: boolean, value: unknown) => void;
    try {
      // Submittables (cursors, streams) report through their own events: passed on unobserved (docs/pg.md).
      if (isSubmittable(config)) return Reflect.apply(target.query, target, args);
      observe = this.observer(config, connection);
    } catch (error) {
      // The query runs unobserved rather than differently; the failure is counted and named in health().
      this.hooks.writer.hookFailed(HOOK, error);
      return Reflect.apply(target.query, target, args);
    }
    const at = typeof args[1] === 'function' ? 1 : typeof args[2] === 'function' ? 2 : -1;
    const own = configCallback && at < 0 ? ownConfigCallback(config) : undefined;
    try {
      if (at >= 0) {
        const passed = args.slice();
        passed[at] = observedCallback(args[at] as PgCallback, observe);
        return Reflect.apply(target.query, target, passed);
      }
      if (own !== undefined) {
        // pg copies the callback into its Query at once; the caller's config gets its own callback back after.
        const configObject = config as { callback: PgCallback };
        try {
          return target.query(config, args[1], observedCallback(own, observe));
        } finally {
          configObject.callback = own;
        }
      }
      const result = Reflect.apply(target.query, target, args);
      if (result instanceof Promise) {
        // Registered before the caller's own reaction: the record is in the ring when the caller's await resumes.
        result.then(
          (value: unknown) => observe(false, value),
          (error: unknown) => observe(true, error),
        );
      }
      return result;
    } catch (error) {
      // pg refused the call itself (a null config, a closed client): a failed query, handed back as it came.
      observe(true, error);
      throw error;
    }
  }

  /** Reads everything a query's record needs at its start and returns what records it at its end. */
  private observer(config: unknown, connection: object | undefined): (failed: boolean, value: unknown) => void {
    const text =
      typeof config === 'string' ? config : typeof config === 'object' && config !== null ? (config as { text?: unknown }).text : undefined;
    const statement: TransactionStatement = connection === undefined ? NOT_CONTROL : transactionStatement(text);
    const tenant = this.currentTenant();
    if (statement !== NOT_CONTROL) {
      return (failed, value) => this.endStatement(statement, connection as object, tenant, failed, value);
    }
    const sql = typeof text === 'string' ? this.hooks.labels.sqlId(text) : EMPTY_ID;
    const pool = this.pool;
    // The pool's own counts at the call: clients checked out (this query's own, when it runs on one) and open.
    const total = pool === undefined ? 0 : pool.totalCount;
    const inUse = pool === undefined ? 0 : total - pool.idleCount;
    const started = performance.now();
    let settled = false;
    return (failed, value) => {
      // pg calls a callback once; the guard keeps a second call (a bug elsewhere) from counting twice.
      if (settled) return;
      settled = true;
      recordSettledQuery(this.hooks, HOOK, failed, value, sqlStateClassOfServerError, sql, tenant, this.database, started, inUse, total);
    };
  }

  /**
   * BEGIN that succeeded opens the connection's transaction, under the tenant current at BEGIN; COMMIT or
   * ROLLBACK ends an open one. COMMIT counts as commit only if it succeeded and the server did commit: on a
   * transaction an error aborted, PostgreSQL answers COMMIT with the ROLLBACK command tag. A failed COMMIT (a
   * deferred constraint) has rolled back too. A COMMIT or ROLLBACK with no BEGIN seen counts nothing.
   */
  private endStatement(statement: TransactionStatement, connection: object, tenant: number, failed: boolean, value: unknown): void {
    const open = this.openTransactions;
    if (statement === BEGIN) {
      if (!failed && !open.has(connection)) open.set(connection, tenant);
      return;
    }
    const openedBy = open.get(connection);
    if (openedBy === undefined) return;
    open.delete(connection);
    const committed = statement === COMMIT && !failed && (value as { command?: unknown } | null)?.command !== 'ROLLBACK';
    recordEndedTransaction(this.hooks, HOOK, committed, false, openedBy, this.database);
  }
}

/** The callback pg calls in place of the caller's: records, then hands pg's arguments on as they came. */
function observedCallback(callback: PgCallback, observe: (failed: boolean, value: unknown) => void): PgCallback {
  return function observed(this: unknown, ...results: unknown[]) {
    const [error, result] = results;
    observe(error !== null && error !== undefined, error ?? result);
    return Reflect.apply(callback, this, results);
  } as PgCallback;
}

function ownConfigCallback(config: unknown): PgCallback | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const callback = (config as { callback?: unknown }).callback;
  return typeof callback === 'function' ? (callback as PgCallback) : undefined;
}
