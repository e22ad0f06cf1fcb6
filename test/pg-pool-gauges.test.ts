import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { instrumentPg } from 'ringmeter/pg';
import { DATABASE_URL } from './support/database.js';
import { pipelineForEach, poolGauges, valuesByLabels } from './support/harness.js';

/** The pool gauges of an instrumented pg.Pool are the pool's own counts, read when a query is called. */
describe('pool gauges of an instrumented pg.Pool', () => {
  const pipeline = pipelineForEach();

  it("equal the pool's totalCount − idleCount and idleCount at the moment the test sets", async () => {
    const { collector, receiver } = pipeline;
    const raw = new pg.Pool({ connectionString: DATABASE_URL, max: 6 });
    const pool = instrumentPg(collector, raw, { database: 'gauges' });
    // Four connections open, three checked out, one given back: 3 in use, 1 idle.
    const held = await Promise.all([pool.connect(), pool.connect(), pool.connect(), pool.connect()]);
    held[3].release();
    expect([raw.totalCount, raw.idleCount]).toEqual([4, 1]);
    // A query on a held client: the pool's counts as they stand (the client is one of the 3 in use).
    await held[0].query('select 1');
    await collector.flush();
    expect(poolGauges(receiver.points)).toEqual({ active: { 'database=gauges': 3 }, idle: { 'database=gauges': 1 } });
    receiver.clear();

    // Two more given back: 1 in use, 3 idle; pool.query takes one of the idle ones after the reading.
    held[1].release();
    held[2].release();
    expect([raw.totalCount, raw.idleCount]).toEqual([4, 3]);
    await pool.query('select 2');
    await collector.flush();
    expect(poolGauges(receiver.points)).toEqual({ active: { 'database=gauges': 1 }, idle: { 'database=gauges': 3 } });
    receiver.clear();

    // The peak of the interval: every connection checked out (4 in use) for one query, then none for the next.
    const more = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    expect([raw.totalCount, raw.idleCount]).toEqual([4, 0]);
    await more[0].query('select 3');
    for (const client of more) client.release();
    await pool.query('select 4');
    await collector.flush();
    // Idle: the latest reading's total (4) minus the peak.
    expect(poolGauges(receiver.points)).toEqual({ active: { 'database=gauges': 4 }, idle: { 'database=gauges': 0 } });
    receiver.clear();

    // An interval without queries: nothing in use, every open connection idle.
    await collector.flush();
    expect(poolGauges(receiver.points)).toEqual({ active: { 'database=gauges': 0 }, idle: { 'database=gauges': 4 } });
    held[0].release();
    await pool.end();
  });

  it('are not reported for a lone pg.Client, whose queries are counted all the same', async () => {
    const { collector, receiver } = pipeline;
    const client = instrumentPg(collector, new pg.Client({ connectionString: DATABASE_URL }), { database: 'lone' });
    await client.connect();
    await client.query('select 1');
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'db_queries_total')).toEqual({ 'query_type=SELECT,success=true,tenant_id=system': 1 });
    expect(valuesByLabels(receiver.points, 'db_connections_active')).toEqual({});
    await client.end();
  });
});
