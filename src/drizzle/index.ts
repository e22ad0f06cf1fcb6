/**
 * ringmeter/drizzle: query counts and classification for Drizzle over any driver, through Drizzle's logger hook.
 * See docs/database.md.
 */
import type { Logger } from 'drizzle-orm/logger';
import type { Collector } from '../collector.js';
import { type OptionNames, refuseUnknownOptions, requireObject } from '../options/checks.js';
import { currentTenantFor, tenantResolverOption, type TenantResolver } from '../database/tenant-resolver.js';
import { internals, requireCollector, type CollectorInternals } from '../internal.js';
import { QUERY_KEY_IS_SQL, QUERY_UNTIMED } from '../contract/codes.js';
import { EMPTY_ID } from '../contract/strings-layout.js';

/**
 * A Drizzle logger that counts every query Drizzle logs in db_queries_total, by query type (classified in the
 * worker) and the tenant of the surrounding request. Drizzle calls it before the query runs, so there is no
 * duration (hence no table label, which only the duration histogram carries), no outcome (success="unknown"),
 * and it never sees BEGIN, COMMIT or ROLLBACK. The parameters Drizzle passes are never read.
 *
 * Once a postgres.js client has been instrumented with the same collector (instrumentPostgres), this logger does
 * nothing: that client records each query itself, timed, so a query is counted once.
 */
export function drizzleLogger(collector: Collector, options: DrizzleLoggerOptions = {}): Logger {
  requireCollector(collector);
  requireObject('options', options);
  refuseUnknownOptions('options', options, OPTION_NAMES);
  const resolver = tenantResolverOption(options.tenant);
  const hooks = internals(collector);
  return new QueryCountingLogger(hooks, currentTenantFor(hooks, resolver, 'drizzleLogger'));
}

export interface DrizzleLoggerOptions {
  /** The tenant of the code running a query, from the application's own request context. [default: the Hono middleware's request scope] */
  tenant?: TenantResolver;
}

const OPTION_NAMES: OptionNames<DrizzleLoggerOptions> = { tenant: true };

class QueryCountingLogger implements Logger {
  constructor(
    private readonly hooks: CollectorInternals,
    private readonly currentTenant: () => number,
  ) {}

  logQuery(query: string): void {
    const hooks = this.hooks;
    // db switched off (configure() may switch it on again), or a timed hook records the queries.
    if (!hooks.families.db || hooks.postgresInstrumented) return;
    try {
      if (typeof query !== 'string') {
        hooks.writer.reject('drizzleLogger.query');
        return;
      }
      hooks.writer.writeQuery(QUERY_KEY_IS_SQL | QUERY_UNTIMED, 0, hooks.labels.sqlId(query), this.currentTenant(), EMPTY_ID, 0, 0, 0);
    } catch (error) {
      // A logger must never make Drizzle fail; the failure is counted and named in health().
      hooks.writer.hookFailed('drizzleLogger', error);
    }
  }
}
