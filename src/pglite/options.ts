import { type DatabaseHookOptions, resolveDatabaseHookOptions, type ResolvedDatabaseHookOptions } from '../database/hook-options.js';

/** `database` [default: `'pglite'`] and `tenant`: see DatabaseHookOptions. */
export type PgliteInstrumentationOptions = DatabaseHookOptions;

const DEFAULT_DATABASE = 'pglite';

/** Fills in the options of instrumentPglite; throws a TypeError or RangeError naming the option. */
export function resolvePgliteOptions(options: unknown): ResolvedDatabaseHookOptions {
  return resolveDatabaseHookOptions(options, DEFAULT_DATABASE);
}
