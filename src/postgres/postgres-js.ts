/**
 * The parts of postgres.js (3.x) the wrapper touches, typed structurally so that nothing here imports postgres at
 * run time. `handler`, `resolve`, `reject`, `strings`, `tagged` and `cursorFn` are fields of postgres.js's Query
 * that its own code reads through the object (never through a closure), which is what lets the wrapper observe a
 * query without changing it: see query-observer.ts.
 */
export interface PostgresQuery extends Promise<unknown> {
  /** True for a tagged-template query (`strings` is then the template's strings array). */
  tagged: boolean;
  /** The template strings, or `[text]` for `unsafe()` and `file()` (set once the file is read). */
  strings: readonly string[];
  /** Called once, when the query is first awaited (or executed): hands it to a connection. */
  handler: QueryHandler;
  /** Called by the connection with the result, or the error; a cursor's iterator replaces them per row batch. */
  resolve: (value: unknown) => unknown;
  reject: (error: unknown) => unknown;
  /** Set for a cursor, before the query is handed over. */
  cursorFn?: unknown;
}

export type QueryHandler = (query: PostgresQuery) => unknown;

/** A postgres.js sql function: the client itself, a transaction's, a savepoint's or a reserved connection's. */
export interface PostgresSql {
  (...args: unknown[]): unknown;
  unsafe(...args: unknown[]): PostgresQuery;
  file(...args: unknown[]): PostgresQuery;
  begin(...args: unknown[]): Promise<unknown>;
  savepoint(...args: unknown[]): Promise<unknown>;
  reserve(): Promise<PostgresSql>;
  release(): void;
  options: { max?: unknown; database?: unknown };
}

/** A client as postgres() returns it (checked loosely: the functions the wrapper replaces, and its options). */
export function isPostgresClient(value: unknown): value is PostgresSql {
  if (typeof value !== 'function') return false;
  const sql = value as Partial<PostgresSql>;
  return typeof sql.unsafe === 'function' && typeof sql.begin === 'function' && typeof sql.options === 'object' && sql.options !== null;
}
