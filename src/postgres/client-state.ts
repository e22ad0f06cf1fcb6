import type { CollectorInternals } from '../internal.js';
import { InFlightQueries } from './in-flight.js';
import { recordQuery } from './query-observer.js';
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
    recordQuery(this, query, started, tenant, inUse, holdsConnection, failed, value),
  );

  constructor(
    readonly hooks: CollectorInternals,
    /** String id of the database label. */
    readonly database: number,
    /** The client's max; 0 = unknown. */
    readonly connectionLimit: number,
    /** The string id of the tenant of the code running now (see db-tenant.ts). */
    readonly currentTenant: () => number,
  ) {
    this.sqlIds = new SqlTextIds((sql) => hooks.sqlId(sql));
    this.families = hooks.families;
  }
}
