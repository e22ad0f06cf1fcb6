/**
 * Internals shared by ringmeter's own entry points (hono, postgres, drizzle) and its tests. Not part of the
 * public API: the package's exports map does not expose this module, and the members it names are stripped from
 * the published type declarations.
 */
import type { Collector } from './collector.js';
import type { EndpointInterner } from './strings/interner.js';
import type { TenantScope } from './tenant-scope.js';

export { resolveOptions, readEnvironment } from './options.js';
export { SYSTEM_ID, UNKNOWN_ID, INVALID_ID, OVERFLOW_ID } from './strings/layout.js';

/** The members of Collector marked @internal. */
export interface CollectorInternals {
  readonly tenantScope: TenantScope;
  /** True once instrumentPostgres or instrumentPglite wraps a client for this collector (the Drizzle logger then does nothing). */
  postgresInstrumented: boolean;
  writeHttp(
    method: number,
    statusCode: number,
    endpoint: number,
    tenant: number,
    seconds: number,
    requestBytes: number,
    responseBytes: number,
  ): void;
  writeQuery(
    detail: number,
    sqlStateClass: number,
    key: number,
    tenant: number,
    database: number,
    seconds: number,
    inFlight: number,
    connectionLimit: number,
  ): void;
  writeTransaction(committed: boolean, nested: boolean, tenant: number, database: number): void;
  tenantId(tenantId: unknown): number;
  sqlId(sql: string): number;
  labelId(label: string): number;
  createEndpointInterner(categoryOf: (route: string) => string): EndpointInterner;
  reject(): void;
  pauseWorkers(paused: boolean): Promise<void>;
  killWorker(shard?: number): Promise<void>;
  throttleWorkers(recordsPerPass: number | undefined): Promise<void>;
  hangWorker(shard?: number): Promise<void>;
}

export function internals(collector: Collector): CollectorInternals {
  return collector as unknown as CollectorInternals;
}
