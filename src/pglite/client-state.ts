import type { CollectorInternals } from '../internal.js';
import { EMPTY_ID } from '../contract/strings-layout.js';
import { templateText } from '../postgres/sql-text.js';
import { recordEndedTransaction, recordSettledQuery } from '../database/records.js';
import { sqlStateClassOfServerError } from '../database/server-error-class.js';

/**
 * PGlite runs one backend in the process: one connection, which every query and transaction waits for in turn.
 * The pool gauges see a pool of one.
 */
const CONNECTION_LIMIT = 1;

const HOOK = 'instrumentPglite';

/** What the client proxy and the proxies of its transactions share. */
export class PgliteState {
  /**
   * The connection's users as this thread sees them: queries in flight outside transactions (waiting for the
   * connection included) plus transactions in progress, as for postgres.js (docs/database.md). Only the main
   * thread touches it, between awaits.
   */
  busy = 0;
  private readonly templates = new WeakMap<readonly string[], number>();

  constructor(
    readonly hooks: CollectorInternals,
    /** String id of the database label. */
    readonly database: number,
    /** The string id of the tenant of the code running now (see database/tenant-resolver.ts). */
    readonly currentTenant: () => number,
  ) {}

  /** The string id of `query()` / `exec()` text; a text that is no string is counted, not classified. */
  textId(text: unknown): number {
    return typeof text === 'string' ? this.hooks.labels.sqlId(text) : EMPTY_ID;
  }

  /**
   * The string id of a `sql\`…\`` template: the engine passes the same strings array on every call of one call
   * site, so it is joined and interned once (values as `$1…$n`, as PGlite numbers its parameters).
   */
  templateId(strings: unknown): number {
    if (!Array.isArray(strings)) return EMPTY_ID;
    let id = this.templates.get(strings);
    if (id === undefined) {
      id = typeof strings[0] === 'string' ? this.hooks.labels.sqlId(templateText(strings as readonly string[])) : EMPTY_ID;
      this.templates.set(strings, id);
    }
    return id;
  }

  /**
   * Runs one query through `run` and records it when it settles: duration from the call (time spent waiting for
   * the connection included), outcome, SQLSTATE class. Returns PGlite's own promise, untouched: the record is
   * written by a reaction registered before the caller's, so it is in the ring when the caller's await resumes.
   * Metrics never throw here: a failure to observe runs the query unobserved.
   *
   * `holdsConnection`: the query asks for the connection itself (not inside a transaction that holds it).
   */
  track(key: () => number, holdsConnection: boolean, run: () => Promise<unknown>): Promise<unknown> {
    // db switched off (at creation or by configure()): one read of the collector's switch, then PGlite as it is.
    if (!this.hooks.families.db) return run();
    let started: number;
    let tenant: number;
    let sql: number;
    try {
      sql = key();
      tenant = this.currentTenant();
      started = performance.now();
    } catch {
      return run();
    }
    const inUse = holdsConnection ? ++this.busy : this.busy;
    const settle = (failed: boolean, value: unknown): void => {
      if (holdsConnection) this.busy--;
      recordSettledQuery(
        this.hooks,
        HOOK,
        failed,
        value,
        sqlStateClassOfServerError,
        sql,
        tenant,
        this.database,
        started,
        inUse,
        CONNECTION_LIMIT,
      );
    };
    let pending: Promise<unknown>;
    try {
      pending = run();
    } catch (error) {
      settle(true, error);
      throw error;
    }
    if (pending instanceof Promise) {
      pending.then(
        () => settle(false, undefined),
        (error: unknown) => settle(true, error),
      );
    } else {
      settle(false, undefined);
    }
    return pending;
  }

  /** Records how a transaction ended; never throws. */
  endTransaction(committed: boolean, tenant: number): void {
    recordEndedTransaction(this.hooks, HOOK, committed, false, tenant, this.database);
  }
}
