import { drizzle } from 'drizzle-orm/postgres-js';
import { count, eq, lt, sql as drizzleSql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { drizzleLogger } from 'ringmeter/drizzle';
import { instrumentPostgres } from 'ringmeter/postgres';
import { createTables, DATABASE_URL, defineTables, dropTables, uniqueSchemaName } from './support/database.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { asTenant, pointsNamed, startPipeline, valuesByLabels } from './support/harness.js';

/**
 * A known mix of Drizzle and raw postgres.js work under known tenants, through an instrumented client that also
 * has the Drizzle logger: every query, failure, transaction and savepoint exported exactly once, exactly labelled.
 */
describe('instrumentPostgres with Drizzle on a real server', () => {
  const schemaName = uniqueSchemaName();
  const tables = defineTables(schemaName);
  const setupClient = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  let collector: Collector;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    await createTables(drizzle(setupClient), schemaName);
    ({ collector, receiver } = await startPipeline());
  });

  afterAll(async () => {
    await collector.shutdown();
    await receiver.stop();
    await dropTables(drizzle(setupClient), schemaName);
    await setupClient.end();
  });

  it('exports counts, labels, SQLSTATE classes, transactions and durations exactly', async () => {
    const { tenants, users, orders } = tables;
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 4 }), { database: 'orders' });
    const db = drizzle(sql, { logger: drizzleLogger(collector) });

    const started = performance.now();
    let failure: unknown;
    await asTenant(collector, 'acme', async () => {
      const [acme] = await db.insert(tenants).values({ name: 'acme' }).returning({ id: tenants.id });
      await db.insert(users).values([
        { tenantId: acme.id, name: 'ann' },
        { tenantId: acme.id, name: 'bob' },
      ]);
      await db.select().from(users).where(eq(users.tenantId, acme.id));
      await db.update(users).set({ name: 'anne' }).where(eq(users.name, 'ann'));
      // Raw postgres.js through the same client.
      await sql.unsafe(`select count(*) from "${schemaName}"."users"`);
      failure = await db.execute(drizzleSql`select * from missing_table`).catch((error: unknown) => error);
    });
    const [user] = await db.select({ id: users.id }).from(users).limit(1);
    await asTenant(collector, 'globex', async () => {
      await db.transaction(async (tx) => {
        const [order] = await tx.insert(orders).values({ userId: user.id, amount: 10 }).returning({ id: orders.id });
        await tx.update(orders).set({ amount: 11 }).where(eq(orders.id, order.id));
      });
      await db
        .transaction(async (tx) => {
          await tx.insert(orders).values({ userId: user.id, amount: 20 });
          tx.rollback();
        })
        .catch(() => {});
      await db.transaction(async (tx) => {
        await tx.insert(orders).values({ userId: user.id, amount: 30 });
        await tx.transaction(async (savepoint) => {
          await savepoint.update(orders).set({ amount: 31 }).where(eq(orders.amount, 30));
        });
        await tx
          .transaction(async (savepoint) => {
            await savepoint.delete(orders).where(eq(orders.amount, 31));
            savepoint.rollback();
          })
          .catch(() => {});
      });
    });
    // Outside any request: the system tenant.
    await db.delete(orders).where(lt(orders.amount, 0));
    await db.select({ n: count() }).from(tenants);
    const wallSeconds = (performance.now() - started) / 1000;

    const cause = (failure as { cause?: { code?: string } }).cause;
    expect(cause?.code).toBe('42P01');
    expect(await setupClient.unsafe(`select amount from "${schemaName}"."orders" order by amount`)).toEqual([
      { amount: 11 },
      { amount: 31 },
    ]);

    await collector.flush();
    const points = receiver.points;
    expect(valuesByLabels(points, 'db_queries_total')).toEqual({
      'query_type=INSERT,success=true,tenant_id=acme': 2,
      'query_type=SELECT,success=true,tenant_id=acme': 2,
      'query_type=UPDATE,success=true,tenant_id=acme': 1,
      'error_class=42,query_type=SELECT,success=false,tenant_id=acme': 1,
      'query_type=SELECT,success=true,tenant_id=system': 2,
      'query_type=INSERT,success=true,tenant_id=globex': 3,
      'query_type=UPDATE,success=true,tenant_id=globex': 2,
      'query_type=DELETE,success=true,tenant_id=globex': 1,
      'query_type=DELETE,success=true,tenant_id=system': 1,
    });
    expect(valuesByLabels(points, 'db_query_duration_seconds')).toEqual({
      'query_type=INSERT,table=tenants,tenant_id=acme': 1,
      'query_type=INSERT,table=users,tenant_id=acme': 1,
      'query_type=SELECT,table=users,tenant_id=acme': 2,
      'query_type=UPDATE,table=users,tenant_id=acme': 1,
      'query_type=SELECT,table=missing_table,tenant_id=acme': 1,
      'query_type=SELECT,table=users,tenant_id=system': 1,
      'query_type=INSERT,table=orders,tenant_id=globex': 3,
      'query_type=UPDATE,table=orders,tenant_id=globex': 2,
      'query_type=DELETE,table=orders,tenant_id=globex': 1,
      'query_type=DELETE,table=orders,tenant_id=system': 1,
      'query_type=SELECT,table=tenants,tenant_id=system': 1,
    });
    // Three top-level transactions (two committed, one rolled back) and two savepoints (one kept, one rolled back).
    expect(valuesByLabels(points, 'db_transactions_total')).toEqual({
      'nested=false,status=commit,tenant_id=globex': 2,
      'nested=false,status=rollback,tenant_id=globex': 1,
      'nested=true,status=commit,tenant_id=globex': 1,
      'nested=true,status=rollback,tenant_id=globex': 1,
    });
    // One query or transaction at a time: one connection of four in use at the busiest moment.
    expect(valuesByLabels(points, 'db_connections_active')).toEqual({ 'database=orders': 1 });
    expect(valuesByLabels(points, 'db_connections_idle')).toEqual({ 'database=orders': 3 });

    // The queries ran one after another: their durations add up to no more than the time the test saw pass.
    const histograms = pointsNamed(points, 'db_query_duration_seconds');
    const sum = histograms.reduce((total, point) => total + (point.sum ?? 0), 0);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThanOrEqual(wallSeconds);
    for (const point of histograms) expect(point.min).toBeGreaterThan(0);
    await sql.end();
  });

  it('counts a failed COMMIT as a rollback, and nothing for a BEGIN that failed (raw postgres.js)', async () => {
    await collector.flush();
    receiver.clear();
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 2, onnotice: () => {} }), { database: 'raw' });
    const table = `"${schemaName}".deferred`;
    await setupClient.unsafe(`create table ${table} (id int unique deferrable initially deferred)`);
    const commitError = await asTenant(collector, 'acme', () =>
      sql.begin(async (tx) => {
        await tx.unsafe(`insert into ${table} values (1)`);
        await tx.unsafe(`insert into ${table} values (1)`);
      }),
    ).catch((error: unknown) => error);
    // postgres.js sends the options after BEGIN: this one is a syntax error, so the callback never runs.
    let ran = false;
    const beginError = await sql
      .begin('no such mode', async () => {
        ran = true;
      })
      .catch((error: unknown) => error);

    expect((commitError as { code?: string }).code).toBe('23505');
    expect((beginError as { code?: string }).code).toBe('42601');
    expect(ran).toBe(false);
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'db_transactions_total')).toEqual({ 'nested=false,status=rollback,tenant_id=acme': 1 });
    // The two inserts ran and succeeded; BEGIN and COMMIT are postgres.js's own statements, not counted as queries.
    expect(valuesByLabels(receiver.points, 'db_queries_total')).toEqual({ 'query_type=INSERT,success=true,tenant_id=acme': 2 });
    await sql.end();
  });
});
