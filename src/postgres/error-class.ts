import { sqlStateClassCode } from '../contract/sqlstate.js';

/**
 * The SQLSTATE class of a failed query, as a record code; 0 when the server sent no SQLSTATE. Only a
 * PostgresError (an ErrorResponse from the server) carries one: postgres.js's own errors have codes such as
 * 'CONNECTION_CLOSED' or 'EPIPE' whose first two letters are no SQLSTATE class. Reads the error's name and code
 * only; never its message, query or parameters.
 */
export function sqlStateClassOfError(error: unknown): number {
  if (error === null || typeof error !== 'object') return 0;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'PostgresError' ? sqlStateClassCode(code) : 0;
}
