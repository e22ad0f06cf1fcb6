/**
 * Connection strings given where a database name belongs (the database hooks' `database` label), each with the
 * reason the hooks give for refusing it (issue #28, item 7). secrets-echo.test.ts checks instrumentPostgres,
 * pglite-metrics.test.ts instrumentPglite (beside the PGlite it already has open: each one costs ~2 s of CPU).
 */
export const CONNECTION_STRING_REFUSALS: Record<string, string> = {
  'postgres://app:s3cret-pw@db.internal:5432/orders': 'it looks like a URL (scheme://)',
  'postgresql://db.internal/orders': 'it looks like a URL (scheme://)',
  'app:s3cret-pw@db.internal/orders': 'it holds credentials (user:password@)',
  'host=db.internal user=app password=s3cret-pw dbname=orders': 'it holds credentials (password=)',
  'orders;Pwd = s3cret-pw': 'it holds credentials (password=)',
};

/** The RangeError both hooks throw for a connection string given as `database`: the reason, never the value. */
export function connectionStringRefusal(why: string): RangeError {
  return new RangeError(
    `options.database is a database name for the pool gauges' label (such as 'orders'), not a connection string: ${why}; the value is not shown`,
  );
}
