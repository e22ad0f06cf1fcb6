import { connectionStringProblem } from '../connection-string.js';
import { type OptionNames, quote, refuseUnknownOptions, requireObject } from '../options/checks.js';
import { redact } from '../secrets/redact.js';
import { isCleanLabel, LABEL_LIMITS } from '../contract/label-text.js';
import { tenantResolverOption, type TenantResolver } from '../tenant/db-tenant.js';
import type { PostgresSql } from './postgres-js.js';

export interface PostgresInstrumentationOptions {
  /** The `database` label of the pool gauges. [default: the client's database name, `sql.options.database`] */
  database?: string;
  /**
   * The tenant of the code running a query, from the application's own request context. [default: the request
   * scope kept by the Hono middleware (`system` outside any request)]
   */
  tenant?: TenantResolver;
}

export interface ResolvedPostgresOptions {
  database: string;
  tenant: TenantResolver | undefined;
  /** The client's `max` (its connection limit), or 0 when it has none we can read: then no pool gauges. */
  connectionLimit: number;
}

const OPTION_NAMES: OptionNames<PostgresInstrumentationOptions> = { database: true, tenant: true };

/** Fallback label when neither the option nor the client names a database. */
const UNNAMED_DATABASE = 'postgres';

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

/** Fills in the options of instrumentPostgres; throws a TypeError or RangeError naming the option. */
export function resolvePostgresOptions(options: unknown, sql: PostgresSql): ResolvedPostgresOptions {
  requireObject('options', options, true);
  refuseUnknownOptions('options', options, OPTION_NAMES);
  const { database, tenant } = options as PostgresInstrumentationOptions;
  databaseOption(database);
  const clientDatabase = sql.options.database;
  const max = sql.options.max;
  return {
    database: database ?? (typeof clientDatabase === 'string' && clientDatabase !== '' ? clientDatabase : UNNAMED_DATABASE),
    tenant: tenantResolverOption(tenant),
    connectionLimit: typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : 0,
  };
}
