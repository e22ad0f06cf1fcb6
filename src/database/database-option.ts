/** The `database` option every database hook takes: a name for the pool gauges' label, never a connection string. */
import { isCleanLabel, LABEL_LIMITS } from '../contract/label-text.js';
import { quote } from '../options/checks.js';
import { connectionStringProblem } from '../secrets/connection-string.js';
import { redact } from '../secrets/redact.js';

/** Checks a `database` option (the pool gauges' label): undefined, or 1 to LABEL_LIMITS.label clean characters that are no connection string. */
export function databaseOption(database: unknown): string | undefined {
  if (database === undefined) return undefined;
  if (typeof database !== 'string') throw new TypeError(`options.database must be a string (got ${quote(database)})`);
  const problem = connectionStringProblem(database);
  if (problem !== undefined) {
    throw new RangeError(
      `options.database is a database name for the pool gauges' label (such as 'orders'), not a connection string: ${problem}; the value is not shown`,
    );
  }
  if (database.length === 0 || !isCleanLabel(database, LABEL_LIMITS.label)) {
    throw new RangeError(
      `options.database must be 1 to ${LABEL_LIMITS.label} characters, without control characters (got ${quote(redact(database))})`,
    );
  }
  return database;
}
