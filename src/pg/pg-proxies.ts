import type { PgClient, PgPool } from './node-postgres.js';
import type { PgState } from './pg-state.js';

/** Read on a proxy, answers true: instrumentPg refuses to wrap twice (each query would count twice). */
export const INSTRUMENTED = Symbol('ringmeter.pg.instrumented');

type Method = (...args: unknown[]) => unknown;

/**
 * Wraps a pg.Pool. `query` and `connect` are observed; everything else (`end`, `on`, the counts, `options`) is
 * the pool's own, read from the pool itself. The pool's methods run with the pool as `this`, so that its own
 * `query` checks a client out through its real `connect`, never the observed one (which would count the query
 * twice). A Proxy, not a copy: `pool instanceof pg.Pool` still holds, which Drizzle and @prisma/adapter-pg test.
 */
export function createPoolProxy(state: PgState, pool: PgPool): PgPool {
  const clients = new ClientProxies(state);
  const query = function query(...args: unknown[]): unknown {
    return state.run(pool, args, undefined, false);
  };
  const connect = function connect(...args: unknown[]): unknown {
    const [callback] = args;
    if (typeof callback === 'function') {
      // pg calls it with (error, client, release): the client handed on is the observed one.
      return pool.connect((error: unknown, client: unknown, release: unknown) =>
        callback(error, client === undefined || client === null ? client : clients.of(client as PgClient), release),
      );
    }
    const pending = (pool.connect as Method).apply(pool, args);
    return pending instanceof Promise ? pending.then((client: PgClient) => clients.of(client)) : pending;
  };
  return new Proxy(pool, {
    get(target, property) {
      switch (property) {
        case 'query':
          return query;
        case 'connect':
          return connect;
        case INSTRUMENTED:
          return true;
        default:
          return Reflect.get(target, property);
      }
    },
  });
}

/**
 * The observed twin of each client a pool hands out, made once per pg client and kept as long as the client
 * lives (the pool hands the same client out again and again, and an application may compare them).
 */
class ClientProxies {
  private readonly proxies = new WeakMap<PgClient, PgClient>();

  constructor(private readonly state: PgState) {}

  of(client: PgClient): PgClient {
    let proxy = this.proxies.get(client);
    if (proxy === undefined) {
      proxy = createClientProxy(this.state, client);
      this.proxies.set(client, proxy);
    }
    return proxy;
  }
}

/**
 * Wraps a pg.Client (a lone one, or one a pool handed out): its `query` is observed, BEGIN/COMMIT/ROLLBACK
 * included as transactions; everything else (`release`, `connect`, `end`, events) is the client's own.
 */
export function createClientProxy(state: PgState, client: PgClient): PgClient {
  const query = function query(...args: unknown[]): unknown {
    return state.run(client, args, client, true);
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'query') return query;
      if (property === INSTRUMENTED) return true;
      return Reflect.get(target, property);
    },
  });
}

export function isInstrumented(value: object): boolean {
  return (value as Record<symbol, unknown>)[INSTRUMENTED] === true;
}
