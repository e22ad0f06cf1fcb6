import { sqlStateClassCode } from '../contract/sqlstate.js';

/**
 * The SQLSTATE class of a failed query, as a record code, for drivers that throw the server's ErrorResponse as an
 * error carrying its fields (`severity`, `code`…): PGlite, and node-postgres's DatabaseError. Their own errors
 * (closed database, closed transaction, connection lost, timeouts) have no `severity`: 0, no class. Reads
 * `severity` and `code` only: never the message, query or parameters a driver attaches to the error.
 */
export function sqlStateClassOfServerError(error: unknown): number {
  if (error === null || typeof error !== 'object') return 0;
  const { severity, code } = error as { severity?: unknown; code?: unknown };
  return typeof severity === 'string' ? sqlStateClassCode(code) : 0;
}
