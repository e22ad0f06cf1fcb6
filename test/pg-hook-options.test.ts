import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createCollector, type Collector } from 'ringmeter';
import { instrumentPg } from 'ringmeter/pg';
import { DATABASE_URL } from './support/database.js';

/** No query is ever sent here: a pg.Pool connects on its first query only. */
describe('arguments of instrumentPg', () => {
  const collector = createCollector({
    env: {},
    metrics: { runtime: false },
    otlp: { endpoint: 'http://127.0.0.1:9/v1/metrics', exportIntervalMillis: 3_600_000, timeoutMillis: 50 },
  });
  const pool = new pg.Pool({ connectionString: 'postgres://app:s3cret@127.0.0.1:5432/test' });

  afterAll(async () => {
    await pool.end();
    await Promise.allSettled([collector.shutdown()]);
  });

  it('collector must be a ringmeter Collector (naming only the type: never echoing a secret)', () => {
    expect(() => instrumentPg('postgres://app:s3cret@db:5432/orders' as unknown as Collector, pool)).toThrow(
      new TypeError('collector must be a ringmeter Collector (what createCollector() returns; got string)'),
    );
  });

  it('pool must be a pg.Pool or pg.Client', () => {
    for (const wrong of [{}, null, 'postgres://app:s3cret@db/orders', { query() {} }]) {
      expect(() => instrumentPg(collector, wrong as object)).toThrow(
        new TypeError('pool must be a node-postgres pg.Pool or pg.Client (new Pool(), new Client())'),
      );
    }
  });

  it('pool is already instrumented', () => {
    const once = instrumentPg(collector, new pg.Pool({ connectionString: DATABASE_URL }));
    expect(() => instrumentPg(collector, once)).toThrow(
      new TypeError('pool is already instrumented: pass the pg.Pool or pg.Client you created, once'),
    );
  });

  it('options: an object, a database name that is no connection string, a tenant function', () => {
    expect(() => instrumentPg(collector, pool, null as never)).toThrow(new TypeError('options must be an object (got null)'));
    expect(() => instrumentPg(collector, pool, { database: 5 as never })).toThrow(
      new TypeError('options.database must be a string (got 5)'),
    );
    expect(() => instrumentPg(collector, pool, { database: 'postgres://app:s3cret@db/orders' })).toThrow(
      new RangeError(
        "options.database is a database name for the pool gauges' label (such as 'orders'), not a connection string: it looks like a URL (scheme://); the value is not shown",
      ),
    );
    expect(() => instrumentPg(collector, pool, { tenant: 'acme' as never })).toThrow(
      new TypeError('options.tenant must be a function () => string | undefined'),
    );
    expect(() => instrumentPg(collector, pool, { databse: 'x' } as never)).toThrow(/options\.databse/);
  });

  it('never reads the pool’s connection settings: the password appears in no error or stats', async () => {
    const instrumented = instrumentPg(collector, pool, { database: 'orders' });
    const failure = await instrumented.query({ text: 'select $1::int', values: [1] }).catch((error: unknown) => error);
    expect(JSON.stringify(collector.stats())).not.toContain('s3cret');
    expect(String(failure)).not.toContain('s3cret');
  });
});
