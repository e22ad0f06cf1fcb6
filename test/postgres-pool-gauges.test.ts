import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { pipelineForEach, poolGauges, total, valuesByLabels } from './support/harness.js';

describe('pool gauges of an instrumented postgres.js client', () => {
  const pipeline = pipelineForEach();

  it('peak at exactly max with 50 concurrent queries on 5 connections, then follow the load down', async () => {
    const { collector, receiver } = pipeline;
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 5 }), { database: 'reports' });
    await Promise.all(Array.from({ length: 50 }, () => sql`select pg_sleep(0.02)`));
    await collector.flush();
    expect(poolGauges(receiver.points)).toEqual({ active: { 'database=reports': 5 }, idle: { 'database=reports': 0 } });
    expect(total(receiver.points, 'db_queries_total', { success: 'true' })).toBe(50);
    receiver.clear();

    // Every one of the 50 was seen to finish: the next interval starts from an empty pool.
    await Promise.all([sql`select 1`, sql`select 2`]);
    await collector.flush();
    expect(poolGauges(receiver.points)).toEqual({ active: { 'database=reports': 2 }, idle: { 'database=reports': 3 } });
    receiver.clear();

    // An interval without queries: nothing in use.
    await collector.flush();
    expect(poolGauges(receiver.points)).toEqual({ active: { 'database=reports': 0 }, idle: { 'database=reports': 5 } });
    await sql.end();
  });

  it('count a transaction and a reserved connection as in use between their queries', async () => {
    const { collector, receiver } = pipeline;
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 5 }), { database: 'app' });
    const reserved = await sql.reserve();
    let releaseTransaction!: () => void;
    const transactionWaits = new Promise<void>((resolve) => {
      releaseTransaction = resolve;
    });
    let transactionStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      transactionStarted = resolve;
    });
    const transaction = sql.begin(async (tx) => {
      await tx`select 1`;
      transactionStarted();
      await transactionWaits;
    });
    await started;
    // Reserved connection + open transaction + this query: three in use, though only this query is in flight.
    await sql`select 1`;
    releaseTransaction();
    await transaction;
    reserved.release();
    await sql`select 2`;
    await collector.flush();
    expect(poolGauges(receiver.points)).toEqual({ active: { 'database=app': 3 }, idle: { 'database=app': 2 } });
    receiver.clear();

    // Released and committed: one query alone is one connection.
    await sql`select 3`;
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'db_connections_active')).toEqual({ 'database=app': 1 });
    await sql.end();
  });

  it("label the gauges with the client's database name by default", async () => {
    const { collector, receiver } = pipeline;
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 2 }));
    await sql`select 1`;
    await collector.flush();
    expect(poolGauges(receiver.points)).toEqual({ active: { 'database=test': 1 }, idle: { 'database=test': 1 } });
    await sql.end();
  });
});
