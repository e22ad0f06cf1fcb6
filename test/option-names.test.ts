import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createCollector } from 'ringmeter';
import { drizzleLogger } from 'ringmeter/drizzle';
import { honoMetrics } from 'ringmeter/hono';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';

/** Misspelt option names are refused everywhere options are taken, naming the path and the nearest valid name. */
describe('a misspelt option name, in every hook and call that takes options', () => {
  // Nothing is ever exported or queried: only the option checks run.
  const collector = createCollector({
    env: {},
    metrics: { runtime: false },
    otlp: { endpoint: 'http://127.0.0.1:9/v1/metrics', exportIntervalMillis: 3_600_000 },
  });
  const sql = postgres(DATABASE_URL, { max: 1 });

  afterAll(async () => {
    await sql.end();
    // Its last export fails (nothing listens on port 9): only the workers' stopping matters.
    await collector.shutdown().catch(() => {});
  });

  it('honoMetrics, and each of its category rules', () => {
    expect(() => honoMetrics(collector, { tenat: () => 'a' } as never)).toThrow(
      new TypeError('options.tenat is not an option (did you mean tenant?)'),
    );
    expect(() => honoMetrics(collector, { categories: [{ match: '/a', category: 'a', catgory: 'b' }] } as never)).toThrow(
      new TypeError('options.categories[0].catgory is not an option (did you mean category?)'),
    );
  });

  it('instrumentPostgres', () => {
    expect(() => instrumentPostgres(collector, sql, { databse: 'orders' } as never)).toThrow(
      new TypeError('options.databse is not an option (did you mean database?)'),
    );
  });

  it('drizzleLogger', () => {
    expect(() => drizzleLogger(collector, { tennant: () => 'a' } as never)).toThrow(
      new TypeError('options.tennant is not an option (did you mean tenant?)'),
    );
  });

  it('flush and shutdown', async () => {
    await expect(collector.flush({ timeout: 5 } as never)).rejects.toThrow(
      new TypeError('flush options.timeout is not an option (did you mean timeoutMillis?)'),
    );
    await expect(collector.flush({ timeoutMillis: 0 })).rejects.toThrow(
      new RangeError('flush options.timeoutMillis must be an integer from 1 to 3600000 (got 0)'),
    );
    await expect(collector.shutdown({ timeoutMilis: 5 } as never)).rejects.toThrow(
      new TypeError('shutdown options.timeoutMilis is not an option (did you mean timeoutMillis?)'),
    );
  });
});
