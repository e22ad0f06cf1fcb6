/**
 * The parts of a PGlite instance (@electric-sql/pglite 0.x) the hook touches, typed structurally so that nothing
 * here imports PGlite at run time. PGlite keeps its state in private class members, so its methods must run with
 * the instance itself as `this`, never the proxy: see scope-proxy.ts.
 */
export interface PgliteQueries {
  query(...args: unknown[]): Promise<unknown>;
  sql(...args: unknown[]): Promise<unknown>;
  exec(...args: unknown[]): Promise<unknown>;
}

/** A PGlite instance (or anything shaped like one: PGliteWorker, a PGliteInterface). */
export interface PgliteClient extends PgliteQueries {
  transaction(callback: (tx: PgliteTransaction) => Promise<unknown>): Promise<unknown>;
}

/** The object PGlite hands a transaction's callback: plain closures over the instance, plus `closed`. */
export interface PgliteTransaction extends PgliteQueries {
  rollback(): Promise<void>;
}

export function isPgliteClient(value: unknown): value is PgliteClient {
  if (value === null || typeof value !== 'object') return false;
  const client = value as Partial<PgliteClient>;
  return typeof client.query === 'function' && typeof client.exec === 'function' && typeof client.transaction === 'function';
}
