import { QUERY_KEY_IS_SQL, QUERY_SUCCESS, QUERY_TYPE_SHIFT } from '../contract/codes.js';
import { EMPTY_ID } from '../contract/strings-layout.js';
import type { CollectorInternals } from '../internal.js';

/** The SQLSTATE class code (contract/sqlstate.ts) of a driver's error; 0 when it has none. */
export type ErrorClassOf = (error: unknown) => number;

/**
 * Writes the record of a query a database hook saw settle: outcome, SQLSTATE class of a failure (`errorClassOf`
 * the error, read inside the guard: an error is the driver's, or the application's, object), SQL text id, tenant, database, duration since `started` (performance.now()),
 * and the pool reading taken when it started (`inUse` of `connectionLimit`; 0 and 0 when unknown). Never throws:
 * metrics must not change what the application sees; a failure is counted under `hook` and named in health().
 */
export function recordSettledQuery(
  hooks: CollectorInternals,
  hook: string,
  failed: boolean,
  value: unknown,
  errorClassOf: ErrorClassOf,
  sql: number,
  tenant: number,
  database: number,
  started: number,
  inUse: number,
  connectionLimit: number,
): void {
  try {
    hooks.writer.writeQuery(
      failed ? QUERY_KEY_IS_SQL : QUERY_KEY_IS_SQL | QUERY_SUCCESS,
      failed ? errorClassOf(value) : 0,
      sql,
      tenant,
      database,
      (performance.now() - started) / 1000,
      inUse,
      connectionLimit,
    );
  } catch (error) {
    hooks.writer.hookFailed(hook, error);
  }
}

/**
 * Writes the record of an operation a hook knows by its query type and table rather than by SQL text (an ORM's
 * model operation): as recordSettledQuery, without pool reading. `queryType` an index of QUERY_TYPES; `table` a
 * label id.
 */
export function recordSettledOperation(
  hooks: CollectorInternals,
  hook: string,
  failed: boolean,
  value: unknown,
  errorClassOf: ErrorClassOf,
  queryType: number,
  table: number,
  tenant: number,
  started: number,
): void {
  try {
    hooks.writer.writeQuery(
      (failed ? 0 : QUERY_SUCCESS) | (queryType << QUERY_TYPE_SHIFT),
      failed ? errorClassOf(value) : 0,
      table,
      tenant,
      EMPTY_ID,
      (performance.now() - started) / 1000,
      0,
      0,
    );
  } catch (error) {
    hooks.writer.hookFailed(hook, error);
  }
}

/** Writes the record of a transaction (`nested`: a savepoint) that ended; never throws, as recordSettledQuery. */
export function recordEndedTransaction(
  hooks: CollectorInternals,
  hook: string,
  committed: boolean,
  nested: boolean,
  tenant: number,
  database: number,
): void {
  try {
    hooks.writer.writeTransaction(committed, nested, tenant, database);
  } catch (error) {
    hooks.writer.hookFailed(hook, error);
  }
}
