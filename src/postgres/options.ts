import { databaseOption } from '../database/database-option.js';
import { type OptionNames, refuseUnknownOptions, requireObject } from '../options/checks.js';
import { tenantResolverOption, type TenantResolver } from '../database/tenant-resolver.js';
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
