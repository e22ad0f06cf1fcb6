import type { CollectorInternals } from '../internal.js';
import { recordSettledQuery } from '../database/records.js';
import { sqlStateClassOfError } from './error-class.js';
import { InFlightQueries } from './in-flight.js';
import type { PostgresQuery } from './postgres-js.js';
import { SqlTextIds } from './sql-text.js';

/** What every scope of one instrumented client (the client, its transactions, savepoints, reservations) shares. */
export class ClientState {
  /**
   * Connections in use, as this thread sees them: queries in flight outside transactions (from the moment
   * postgres.js is handed one, so a query waiting for a connection counts), plus transactions in progress and
   * reserved connections. The pool gauges come from it; see docs/database.md.
   */
  busy = 0;
  readonly sqlIds: SqlTextIds;
  /** The collector's family switches (changed in place by configure()): a query or transaction starting while db is off is not observed. */
  readonly families: CollectorInternals['families'];
  readonly inFlight = new InFlightQueries((query, started, tenant, inUse, holdsConnection, failed, value) =>
    this.recordQuery(query, started, tenant, inUse, holdsConnection, failed, value),
  );

  constructor(
    readonly hooks: CollectorInternals,
    /** String id of the database label. */
    readonly database: number,
    /** The client's max; 0 = unknown. */
    readonly connectionLimit: number,
    /** The string id of the tenant of the code running now (see database/tenant-resolver.ts). */
    readonly currentTenant: () => number,
  ) {
    this.sqlIds = new SqlTextIds((sql) => hooks.labels.sqlId(sql));
    this.families = hooks.families;
  }

  /**
   * Writes a settled query's record (query-observer.ts times it). `holdsConnection`: it ran on a connection of the
   * pool, which it gives back now. Never throws: metrics must not change what the application sees.
   */
  recordQuery(
    query: PostgresQuery,
    started: number,
    tenant: number,
    inUse: number,
    holdsConnection: boolean,
    failed: boolean,
    value: unknown,
  ): void {
    if (holdsConnection) this.busy--;
    let sql: number;
    try {
      sql = this.sqlIds.of(query);
    } catch (error) {
      // The query's own outcome goes on regardless; the failure is counted and named in health().
      this.hooks.writer.hookFailed('instrumentPostgres', error);
      return;
    }
    recordSettledQuery(
      this.hooks,
      'instrumentPostgres',
      failed,
      value,
      sqlStateClassOfError,
      sql,
      tenant,
      this.database,
      started,
      inUse,
      this.connectionLimit,
    );
  }
}
