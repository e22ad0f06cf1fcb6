/**
 * The parts of node-postgres (pg 8.x) the hook touches, typed structurally so that nothing here imports pg at run
 * time. pg keeps its state in ordinary fields (no private class members), so its methods run unchanged with a
 * proxy as `this`: see pg-proxies.ts.
 */
export type PgCallback = (error: unknown, result?: unknown) => void;

/** Anything with pg's `query(config, values?, callback?)`: a Client, a checked-out PoolClient, a Pool. */
export interface PgQueryable {
  query(...args: unknown[]): unknown;
}

/** A pg.Pool: its own counts of the connections it holds, read for the pool gauges. */
export interface PgPool extends PgQueryable {
  connect(...args: unknown[]): unknown;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** A pg.Client (or a client a pool handed out). */
export interface PgClient extends PgQueryable {
  connect(...args: unknown[]): unknown;
}

/** A pool: query, connect and its counts. */
export function isPgPool(value: unknown): value is PgPool {
  if (value === null || typeof value !== 'object') return false;
  const pool = value as Partial<PgPool>;
  return (
    typeof pool.query === 'function' &&
    typeof pool.connect === 'function' &&
    typeof pool.totalCount === 'number' &&
    typeof pool.idleCount === 'number'
  );
}

/** A client: query and connect, and its connection parameters (which the hook never reads). */
export function isPgClient(value: unknown): value is PgClient {
  if (value === null || typeof value !== 'object') return false;
  const client = value as Partial<PgClient> & { connectionParameters?: unknown };
  return typeof client.query === 'function' && typeof client.connect === 'function' && typeof client.connectionParameters === 'object';
}

/**
 * A submittable (a pg Query object, pg-cursor, pg-query-stream): pg hands it the connection and it reports
 * through its own events. The hook passes it on unobserved (see docs/pg.md, Limits).
 */
export function isSubmittable(config: unknown): boolean {
  return typeof config === 'object' && config !== null && typeof (config as { submit?: unknown }).submit === 'function';
}
