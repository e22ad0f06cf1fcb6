import { sqlStateClassCode } from '../contract/sqlstate.js';

/**
 * The SQLSTATE class of a failed PGlite query, as a record code; 0 when the error is none of the server's. PGlite
 * throws the backend's ErrorResponse as an error carrying its fields (`severity`, `code`…); its own errors
 * (closed database, closed transaction) have no `severity`. Reads `severity` and `code` only: never the message,
 * query or parameters PGlite attaches to the error.
 */
export function sqlStateClassOfPgliteError(error: unknown): number {
  if (error === null || typeof error !== 'object') return 0;
  const { severity, code } = error as { severity?: unknown; code?: unknown };
  return typeof severity === 'string' ? sqlStateClassCode(code) : 0;
}
