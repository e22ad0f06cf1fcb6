import { type OptionNames, refuseUnknownOptions, requireObject } from '../options/checks.js';
import { databaseOption } from './database-option.js';
import { tenantResolverOption, type TenantResolver } from './tenant-resolver.js';

/** The options of a database hook that reads nothing from its client's settings (instrumentPglite, instrumentPg). */
export interface DatabaseHookOptions {
  /** The `database` label of the pool gauges. [default: the hook's own, e.g. `'pglite'`, `'postgres'`] */
  database?: string;
  /**
   * The tenant of the code running a query, from the application's own request context. [default: the request
   * scope kept by the HTTP middleware (`system` outside any request)]
   */
  tenant?: TenantResolver;
}

export interface ResolvedDatabaseHookOptions {
  database: string;
  tenant: TenantResolver | undefined;
}

const OPTION_NAMES: OptionNames<DatabaseHookOptions> = { database: true, tenant: true };

/** Fills in a hook's options, `defaultDatabase` as the label when none is given; throws a TypeError or RangeError naming the option. */
export function resolveDatabaseHookOptions(options: unknown, defaultDatabase: string): ResolvedDatabaseHookOptions {
  requireObject('options', options, true);
  refuseUnknownOptions('options', options, OPTION_NAMES);
  const { database, tenant } = options as DatabaseHookOptions;
  return { database: databaseOption(database) ?? defaultDatabase, tenant: tenantResolverOption(tenant) };
}
