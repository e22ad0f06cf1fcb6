import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector, type Collector, type MetricFamiliesOptions } from 'ringmeter';
import { drizzleLogger } from 'ringmeter/drizzle';
import { honoMetrics } from 'ringmeter/hono';
import { internals } from 'ringmeter/internal';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';

/** A collector whose exports go nowhere and give up at once: only its recording side is under test. */
function offlineCollector(metrics: MetricFamiliesOptions = { runtime: false }): Collector {
  return createCollector({
    env: {},
    metrics,
    otlp: { endpoint: 'http://127.0.0.1:9/v1/metrics', exportIntervalMillis: 3_600_000, timeoutMillis: 50 },
  });
}

/** No query is ever sent here: postgres.js connects on the first query only. */
describe('arguments of instrumentPostgres and drizzleLogger', () => {
  const collector = offlineCollector();
  const sql = postgres(DATABASE_URL, { max: 1 });
  let disabled: Collector;
  let loggerOnly: Collector;

  beforeAll(() => {
    disabled = offlineCollector({ runtime: false, db: false });
    loggerOnly = offlineCollector();
  });

  afterAll(async () => {
    await sql.end();
    // Their last exports fail (nothing listens): only the workers' stopping matters.
    await Promise.allSettled([collector.shutdown(), disabled.shutdown(), loggerOnly.shutdown()]);
  });

  it('instrumentPostgres: collector must be a ringmeter Collector (naming only the type: never echoing a secret)', () => {
    expect(() => instrumentPostgres({} as Collector, sql)).toThrow(
      new TypeError('collector must be a ringmeter Collector (what createCollector() returns; got object)'),
    );
    // A connection string passed in the wrong place.
    const misplaced = () => instrumentPostgres('postgres://app:s3cret@db:5432/orders' as unknown as Collector, sql);
    expect(misplaced).toThrow(new TypeError('collector must be a ringmeter Collector (what createCollector() returns; got string)'));
  });

  it('instrumentPostgres: sql must be a postgres.js client', () => {
    expect(() => instrumentPostgres(collector, (() => {}) as unknown as typeof sql)).toThrow(
      new TypeError('sql must be a postgres.js client (what postgres() returns)'),
    );
  });

  it('instrumentPostgres: sql is already instrumented', () => {
    const once = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 1 }));
    expect(() => instrumentPostgres(collector, once)).toThrow(
      new TypeError('sql is already instrumented: pass the client postgres() returned, once'),
    );
  });

  it('instrumentPostgres: options must be an object', () => {
    expect(() => instrumentPostgres(collector, sql, null as never)).toThrow(new TypeError('options must be an object (got null)'));
  });

  it('instrumentPostgres: options.database must be a string', () => {
    expect(() => instrumentPostgres(collector, sql, { database: 5 as never })).toThrow(
      new TypeError('options.database must be a string (got 5)'),
    );
  });

  it('instrumentPostgres: options.database must be 1 to 128 characters without control characters', () => {
    for (const database of ['', 'a\nb', 'x'.repeat(129)]) {
      expect(() => instrumentPostgres(collector, sql, { database })).toThrow(RangeError);
    }
    expect(() => instrumentPostgres(collector, sql, { database: '' })).toThrow(
      'options.database must be 1 to 128 characters, without control characters (got "")',
    );
  });

  it('instrumentPostgres: options.tenant must be a function', () => {
    expect(() => instrumentPostgres(collector, sql, { tenant: 'acme' as never })).toThrow(
      new TypeError('options.tenant must be a function () => string | undefined'),
    );
  });

  it('drizzleLogger: options must be an object', () => {
    expect(() => drizzleLogger(collector, null as never)).toThrow(new TypeError('options must be an object'));
  });

  it('drizzleLogger: options.tenant must be a function', () => {
    expect(() => drizzleLogger(collector, { tenant: 42 as never })).toThrow(
      new TypeError('options.tenant must be a function () => string | undefined'),
    );
  });

  it('honoMetrics and internals: the same check of the collector argument as every database hook', () => {
    for (const wrong of [{}, 'postgres://app:s3cret@db/orders', null]) {
      const type = wrong === null ? 'null' : typeof wrong;
      const message = `collector must be a ringmeter Collector (what createCollector() returns; got ${type})`;
      expect(() => honoMetrics(wrong as unknown as Collector)).toThrow(new TypeError(message));
      expect(() => internals(wrong)).toThrow(new TypeError(message));
    }
  });

  it('drizzleLogger: collector must be a ringmeter Collector', () => {
    expect(() => drizzleLogger(undefined as unknown as Collector)).toThrow(
      new TypeError('collector must be a ringmeter Collector (what createCollector() returns; got undefined)'),
    );
  });

  it('with db metrics disabled: the client is instrumented (configure() may switch db on), and nothing is recorded', async () => {
    const instrumented = instrumentPostgres(disabled, sql, { database: 'orders' });
    expect(instrumented).not.toBe(sql);
    expect((await instrumented`select 1 as one`)[0].one).toBe(1);
    drizzleLogger(disabled).logQuery('select 1', []);
    expect(disabled.stats().ring.written).toBe(0);
  });

  it('never throws from the logger, whatever Drizzle passes: a text that is no string is refused and counted', () => {
    const logger = drizzleLogger(loggerOnly);
    expect(internals(loggerOnly).requestScope.enabled).toBe(true);
    expect(() => logger.logQuery(undefined as unknown as string, undefined as unknown as unknown[])).not.toThrow();
    expect(loggerOnly.stats().rejected).toBe(1);
    logger.logQuery('select 1', [
      {
        get secret(): never {
          throw new Error('parameters are never read');
        },
      },
    ]);
    expect(loggerOnly.stats().ring.written).toBe(1);
  });
});
