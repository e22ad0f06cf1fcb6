import type { ClientState } from './client-state.js';
import type { PostgresQuery, PostgresSql, QueryHandler } from './postgres-js.js';
import { observeQuery } from './query-observer.js';
import { trackTransaction } from './transactions.js';

/**
 * Which postgres.js sql function a proxy stands for. The client's own queries take a pool connection each; a
 * transaction's (or savepoint's) and a reserved connection's run on the one connection their scope holds.
 */
export type ScopeKind = 'client' | 'transaction' | 'reserved';

/** Read on a proxy, answers true: instrumentPostgres refuses to wrap a client twice (each query would count twice). */
export const INSTRUMENTED = Symbol('ringmeter.postgres.instrumented');

/**
 * Wraps one postgres.js sql function. The proxy hands back postgres.js's own Query objects, only with their
 * `handler` field replaced: nothing runs until postgres.js itself hands the query over (its laziness, cursors,
 * `.values()`, `.describe()`, errors and results are untouched), and then the query is observed on its way to the
 * connection. Everything not intercepted here (`end`, `options`, `listen`, helpers…) is the client's own.
 */
export function createScopeProxy(client: ClientState, sql: PostgresSql, kind: ScopeKind): PostgresSql {
  return new Proxy(sql, new ScopeHandler(client, sql, kind));
}

class ScopeHandler implements ProxyHandler<PostgresSql> {
  /** The handler postgres.js gives every query of this sql function, learned from the first one. */
  private inner: QueryHandler | undefined;
  private readonly holdsConnection: boolean;
  /** Replaces the handler of this scope's queries: observes, then hands the query to postgres.js's handler. */
  private readonly dispatch: QueryHandler;
  private readonly unsafe: PostgresSql['unsafe'];
  private readonly file: PostgresSql['file'];
  private readonly begin: PostgresSql['begin'];
  private readonly savepoint: PostgresSql['savepoint'];
  private readonly reserve: PostgresSql['reserve'];
  private readonly release: PostgresSql['release'];

  constructor(
    private readonly client: ClientState,
    raw: PostgresSql,
    private readonly kind: ScopeKind,
  ) {
    this.holdsConnection = kind === 'client';
    const scope = this;
    const asTransaction = (tx: unknown) => createScopeProxy(client, tx as PostgresSql, 'transaction');
    // A plain function, like the handler postgres.js keeps in the field it replaces.
    this.dispatch = function dispatch(query: PostgresQuery) {
      scope.observe(query);
      return (scope.inner as QueryHandler)(query);
    };
    // Plain functions passing their arguments on as they came: postgres.js tells its overloads apart by their count.
    this.unsafe = function unsafe(...args: unknown[]) {
      const query = raw.unsafe(...args);
      scope.instrument(query);
      return query;
    };
    this.file = function file(...args: unknown[]) {
      const query = raw.file(...args);
      // file() gives its query a handler of its own (it reads the file first): keep it, observe in front of it.
      scope.instrumentWith(query, query.handler);
      return query;
    };
    this.begin = function begin(...args: unknown[]) {
      const [options, callback] = args;
      const callbackOnly = typeof options === 'function';
      const run = callbackOnly ? options : callback;
      if (typeof run !== 'function') return raw.begin(...args);
      return trackTransaction(client, false, run as (sql: unknown) => unknown, asTransaction, (wrapped) =>
        callbackOnly ? raw.begin(wrapped) : raw.begin(options, wrapped),
      );
    };
    this.savepoint = function savepoint(...args: unknown[]) {
      const [name, callback] = args;
      const callbackOnly = args.length === 1;
      const run = callbackOnly ? name : callback;
      // The tagged-template form (savepoint`…`) and bad arguments go to postgres.js as they are.
      if (typeof run !== 'function' || isTemplateStrings(name)) return raw.savepoint(...args);
      return trackTransaction(client, true, run as (sql: unknown) => unknown, asTransaction, (wrapped) =>
        callbackOnly ? raw.savepoint(wrapped) : raw.savepoint(name, wrapped),
      );
    };
    this.reserve = function reserve() {
      // A reserved connection is in use from the request until release().
      client.busy++;
      let pending: Promise<PostgresSql>;
      try {
        pending = raw.reserve();
      } catch (error) {
        client.busy--;
        throw error;
      }
      return pending.then(
        (reserved) => createScopeProxy(client, reserved, 'reserved'),
        (error: unknown) => {
          client.busy--;
          throw error;
        },
      );
    };
    let released = false;
    this.release = function release() {
      if (!released) {
        released = true;
        client.busy--;
      }
      raw.release();
    };
  }

  /** A tagged-template call (`sql\`…\``) returns a Query; helper calls (`sql(name)`, `sql(rows)`) return no promise. */
  apply(target: PostgresSql, thisArg: unknown, args: unknown[]): unknown {
    const result = Reflect.apply(target, thisArg, args);
    if (result instanceof Promise) this.instrument(result as PostgresQuery);
    return result;
  }

  get(target: PostgresSql, property: string | symbol): unknown {
    switch (property) {
      case 'unsafe':
        return this.unsafe;
      case 'file':
        return this.file;
      case 'begin':
        return this.kind === 'client' ? this.begin : Reflect.get(target, property);
      case 'reserve':
        return this.kind === 'client' ? this.reserve : Reflect.get(target, property);
      case 'savepoint':
        return this.kind === 'transaction' ? this.savepoint : Reflect.get(target, property);
      case 'release':
        return this.kind === 'reserved' ? this.release : Reflect.get(target, property);
      case INSTRUMENTED:
        return true;
      default:
        return Reflect.get(target, property);
    }
  }

  private instrument(query: PostgresQuery): void {
    const own = query.handler;
    this.inner ??= own;
    if (own === this.inner) query.handler = this.dispatch;
    else this.instrumentWith(query, own);
  }

  private instrumentWith(query: PostgresQuery, own: QueryHandler): void {
    query.handler = (handed: PostgresQuery) => {
      this.observe(handed);
      return own(handed);
    };
  }

  private observe(query: PostgresQuery): void {
    if (!this.client.families.db) return;
    try {
      observeQuery(this.client, query, this.holdsConnection);
    } catch (error) {
      // The query runs unobserved rather than differently; the failure is counted and named in health().
      this.client.hooks.writer.hookFailed('instrumentPostgres', error);
    }
  }
}

function isTemplateStrings(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Array.isArray((value as { raw?: unknown }).raw);
}

export function isInstrumented(sql: PostgresSql): boolean {
  return (sql as unknown as Record<symbol, unknown>)[INSTRUMENTED] === true;
}
