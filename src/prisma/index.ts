/**
 * ringmeter/prisma: per-tenant operation and transaction metrics for Prisma 7, as a client extension:
 * `prisma.$extends(prismaMetrics(collector))`. See docs/prisma.md.
 */
import type { Collector } from '../collector.js';
import { recordSettledOperation } from '../database/records.js';
import { currentTenantFor, tenantResolverOption, type TenantResolver } from '../database/tenant-resolver.js';
import { internals, requireCollector } from '../internal.js';
import { type OptionNames, refuseUnknownOptions, requireObject } from '../options/checks.js';
import { createClientProxy, type PrismaClientLike } from './client-proxy.js';
import { sqlStateClassOfPrismaError } from './error-class.js';
import { queryTypeOfOperation } from './operations.js';
import { ModelTables } from './model-tables.js';

export interface PrismaMetricsOptions {
  /**
   * The tenant of the code running an operation, from the application's own request context. [default: the
   * request scope kept by the HTTP middleware (`system` outside any request)]
   */
  tenant?: TenantResolver;
}

const OPTION_NAMES: OptionNames<PrismaMetricsOptions> = { tenant: true };
const HOOK = 'prismaMetrics';

/** What a Prisma query extension's `$allOperations` is called with. */
interface OperationCall {
  model?: string;
  operation: string;
  args: unknown;
  query: (args: unknown) => Promise<unknown>;
}

/**
 * What Prisma's `$extends` takes as a function extension: called with the client, it returns the client extended.
 * Prisma types it from the extension's arguments; this one adds no model, result or client member, so the extended
 * client keeps the type of the client it was given.
 */
export type PrismaMetricsExtension = (client: unknown) => {
  $extends: { extArgs: { result: NothingAdded; model: NothingAdded; query: NothingAdded; client: NothingAdded } };
};

/** An extension part that adds no member (Prisma's `{}`). */
type NothingAdded = Record<never, never>;

/**
 * A Prisma client extension: `const prisma = new PrismaClient({ adapter }).$extends(prismaMetrics(collector))`.
 * Every model operation is recorded with its duration, outcome, SQLSTATE class, query type (create* → INSERT,
 * find*, count, aggregate, groupBy → SELECT, update* → UPDATE, delete* → DELETE, upsert → INSERT), its model's
 * table (its `@@map` when set) and the tenant of the surrounding request; `$transaction` (batch and interactive)
 * with commit or rollback. While db metrics are switched off (`metrics.db`) it records nothing.
 *
 * Throws a TypeError for a bad argument; the extended client never throws because of metrics, never reads an
 * operation's arguments or results, and hands back Prisma's own results and errors.
 */
export function prismaMetrics(collector: Collector, options: PrismaMetricsOptions = {}): PrismaMetricsExtension {
  requireCollector(collector);
  requireObject('options', options, true);
  refuseUnknownOptions('options', options, OPTION_NAMES);
  const tenantResolver = tenantResolverOption(options.tenant);
  const hooks = internals(collector);
  const currentTenant = currentTenantFor(hooks, tenantResolver, HOOK);
  const extension = (client: PrismaClientLike) => {
    const tables = new ModelTables(hooks, client);
    const extended = client.$extends({
      name: 'ringmeter',
      query: {
        $allModels: {
          $allOperations({ model, operation, args, query }: OperationCall): Promise<unknown> {
            if (!hooks.families.db || model === undefined) return query(args);
            let queryType: number;
            let table: number;
            let tenant: number;
            let started: number;
            try {
              queryType = queryTypeOfOperation(operation);
              table = tables.of(model);
              tenant = currentTenant();
              started = performance.now();
            } catch (error) {
              // The operation runs unobserved rather than differently; the failure is counted and named in health().
              hooks.writer.hookFailed(HOOK, error);
              return query(args);
            }
            const record = (failed: boolean, value: unknown) =>
              recordSettledOperation(hooks, HOOK, failed, value, sqlStateClassOfPrismaError, queryType, table, tenant, started);
            const pending = query(args);
            // Registered before the caller's own reaction; Prisma's promise is handed back unchanged.
            pending.then(
              () => record(false, undefined),
              (error: unknown) => record(true, error),
            );
            return pending;
          },
        },
      },
    }) as PrismaClientLike;
    return createClientProxy(hooks, extended, currentTenant);
  };
  return extension as unknown as PrismaMetricsExtension;
}
