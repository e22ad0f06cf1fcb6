import { type OptionNames, refuseUnknownOptions, requireObject } from '../options/checks.js';
import { tenantResolverOption, type TenantResolver } from '../database/tenant-resolver.js';
import { databaseOption } from '../database/database-option.js';

export interface PgliteInstrumentationOptions {
  /** The `database` label of the pool gauges. [default: `'pglite'`] */
  database?: string;
  /**
   * The tenant of the code running a query, from the application's own request context. [default: the request
   * scope kept by the Hono middleware (`system` outside any request)]
   */
  tenant?: TenantResolver;
}

export interface ResolvedPgliteOptions {
  database: string;
  tenant: TenantResolver | undefined;
}

const OPTION_NAMES: OptionNames<PgliteInstrumentationOptions> = { database: true, tenant: true };

const DEFAULT_DATABASE = 'pglite';

/** Fills in the options of instrumentPglite; throws a TypeError or RangeError naming the option. */
export function resolvePgliteOptions(options: unknown): ResolvedPgliteOptions {
  requireObject('options', options, true);
  refuseUnknownOptions('options', options, OPTION_NAMES);
  const { database, tenant } = options as PgliteInstrumentationOptions;
  return { database: databaseOption(database) ?? DEFAULT_DATABASE, tenant: tenantResolverOption(tenant) };
}
