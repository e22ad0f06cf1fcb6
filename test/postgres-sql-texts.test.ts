import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline, total, valuesByLabels } from './support/harness.js';

type Sql = ReturnType<typeof postgres>;

/** Runs `count` distinct SQL texts, `concurrency` at a time. */
async function runDistinctTexts(sql: Sql, first: number, count: number, concurrency = 200): Promise<void> {
  for (let start = first; start < first + count; start += concurrency) {
    const batch = [];
    for (let n = start; n < Math.min(first + count, start + concurrency); n++) batch.push(sql.unsafe(`select ${n} as n`));
    await Promise.all(batch);
  }
}

describe('distinct SQL texts beyond maxSqlTexts', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let sql: Sql;

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline({ maxSqlTexts: 1_000 }));
    sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 8 }), { database: 'texts' });
  });

  afterAll(async () => {
    await sql.end();
    await collector.shutdown();
    await receiver.stop();
  });

  it('keeps at most 1,000 texts, counts every query, and makes each overflowed query visible', async () => {
    await runDistinctTexts(sql, 0, 10_000);
    expect(collector.stats().sqlTexts).toEqual({ distinct: 1_000, max: 1_000 });
    await collector.flush();
    const points = receiver.points;
    expect(valuesByLabels(points, 'db_queries_total')).toEqual({
      'query_type=SELECT,success=true,tenant_id=system': 1_000,
      'query_type=OTHER,success=true,tenant_id=system': 9_000,
    });
    expect(valuesByLabels(points, 'db_query_duration_seconds')).toEqual({
      'query_type=SELECT,table=,tenant_id=system': 1_000,
      'query_type=OTHER,table=__overflow__,tenant_id=system': 9_000,
    });
    expect(total(points, 'ringmeter.sql_texts.overflowed')).toBe(9_000);
  });

  it('stays bounded: 10,000 more texts, and tagged templates, add overflows, not texts or series', async () => {
    receiver.clear();
    const seriesBefore = collector.stats().series;
    await runDistinctTexts(sql, 10_000, 10_000);
    // A template is joined and interned once; beyond the cap each of its runs still counts as overflowed.
    for (let i = 0; i < 3; i++) await sql`select ${i}::int as n from generate_series(1, 1)`;
    expect(collector.stats().sqlTexts).toEqual({ distinct: 1_000, max: 1_000 });
    await collector.flush();
    expect(total(receiver.points, 'ringmeter.sql_texts.overflowed')).toBe(10_003);
    expect(total(receiver.points, 'db_queries_total')).toBe(10_003);
    expect(collector.stats().series).toBe(seriesBefore);
  });
});
