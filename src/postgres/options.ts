import { type DatabaseHookOptions, resolveDatabaseHookOptions } from '../database/hook-options.js';
import type { TenantResolver } from '../database/tenant-resolver.js';
import type { PostgresSql } from './postgres-js.js';

/** `database` [default: the client's database name, `sql.options.database`] and `tenant`: see DatabaseHookOptions. */
export type PostgresInstrumentationOptions = DatabaseHookOptions;

export interface ResolvedPostgresOptions {
  database: string;
  tenant: TenantResolver | undefined;
  /** The client's `max` (its connection limit), or 0 when it has none we can read: then no pool gauges. */
  connectionLimit: number;
}

/** Fallback label when neither the option nor the client names a database. */
export const UNNAMED_DATABASE = 'postgres';

/** Fills in the options of instrumentPostgres; throws a TypeError or RangeError naming the option. */
export function resolvePostgresOptions(options: unknown, sql: PostgresSql): ResolvedPostgresOptions {
  const clientDatabase = sql.options.database;
  const max = sql.options.max;
  const resolved = resolveDatabaseHookOptions(
    options,
    typeof clientDatabase === 'string' && clientDatabase !== '' ? clientDatabase : UNNAMED_DATABASE,
  );
  return { ...resolved, connectionLimit: typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : 0 };
}
