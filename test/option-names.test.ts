import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { drizzleLogger } from 'ringmeter/drizzle';
import { honoMetrics } from 'ringmeter/hono';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { startPipeline } from './support/harness.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';

/** Misspelt option names are refused everywhere options are taken, naming the path and the nearest valid name. */
describe('a misspelt option name, in every hook and call that takes options', () => {
  // Nothing is queried and only the final export of shutdown is sent: only the option checks run. A live receiver
  // takes that export, so that shutdown does not spend seconds retrying a closed port.
  let collector: Collector;
  let receiver: OtlpReceiver;
  const sql = postgres(DATABASE_URL, { max: 1 });

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
  });

  afterAll(async () => {
    await sql.end();
    await collector.shutdown();
    await receiver.stop();
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
