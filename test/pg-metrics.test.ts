import { drizzle } from 'drizzle-orm/node-postgres';
import { eq } from 'drizzle-orm';
import { integer, pgSchema, serial, text } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { instrumentPg } from 'ringmeter/pg';
import { DATABASE_URL, uniqueSchemaName } from './support/database.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { asTenant, startPipeline, valuesByLabels } from './support/harness.js';

/**
 * node-postgres on the real server: every form of query() through an instrumented pool and its checked-out
 * clients, under known tenants, failures, and transactions sent as BEGIN/COMMIT/ROLLBACK (by hand and by Drizzle),
 * each exported exactly once, exactly labelled.
 */
describe('instrumentPg on a real server', () => {
  const schemaName = `${uniqueSchemaName()}_pg`;
  const items = `"${schemaName}".pg_items`;
  const setup = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  let collector: Collector;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    await setup.query(`create schema "${schemaName}"`);
    await setup.query(`create table ${items} (id serial primary key, name text not null unique, amount integer not null default 0)`);
    ({ collector, receiver } = await startPipeline());
  });

  afterAll(async () => {
    await collector.shutdown();
    await receiver.stop();
    await setup.query(`drop schema if exists "${schemaName}" cascade`);
    await setup.end();
  });

  it('times every form of query(), attributes it to the scope or system, and classes its failures', async () => {
    await collector.flush();
    receiver.clear();
    const pool = instrumentPg(collector, new pg.Pool({ connectionString: DATABASE_URL, max: 4 }), { database: 'shop' });
    expect(pool).toBeInstanceOf(pg.Pool);

    const failures: unknown[] = [];
    await asTenant(collector, 'acme', async () => {
      // Text and values, promise style.
      const inserted = await pool.query(`insert into ${items} (name) values ($1), ($2) returning id`, ['a', 'b']);
      expect(inserted.rowCount).toBe(2);
      // A config object.
      const selected = await pool.query({ text: `select name from ${items} where name = $1`, values: ['a'] });
      expect(selected.rows).toEqual([{ name: 'a' }]);
      // Callback style: pool.query returns undefined, the callback gets pg's own result.
      const updated = await new Promise<number | null>((resolve, reject) => {
        const returned = pool.query(`update ${items} set amount = $1 where name = $2`, [5, 'a'], (error, result) =>
          error ? reject(error) : resolve(result.rowCount),
        );
        expect(returned).toBeUndefined();
      });
      expect(updated).toBe(1);
      // A checked-out client: promise, callback and config-callback forms.
      const client = await pool.connect();
      await client.query(`select amount from ${items}`);
      await new Promise<void>((resolve, reject) => {
        client.query(`delete from ${items} where name = $1`, ['none'], (error) => (error ? reject(error) : resolve()));
      });
      await new Promise<void>((resolve, reject) => {
        const config = {
          text: `select id from ${items} where name = 'b'`,
          callback: (error: Error | null) => (error ? reject(error) : resolve()),
        };
        client.query(config as unknown as pg.QueryConfig);
      });
      client.release();
      // Failures: an undefined table (42), a unique violation (23), a callback-style syntax error (42).
      failures.push(await pool.query('select * from pg_missing_table').catch((error: unknown) => error));
      failures.push(await pool.query(`insert into ${items} (name) values ('a')`).catch((error: unknown) => error));
      failures.push(await new Promise((resolve) => pool.query('selec 1', (error) => resolve(error))));
    });
    // Outside any request: system.
    await pool.query(`select count(*) from ${items}`);
    const viaConnect = await new Promise<pg.PoolClient>((resolve, reject) =>
      pool.connect((error, client, release) => {
        if (error || client === undefined) return reject(error);
        client
          .query(`update ${items} set amount = 0`)
          .then(() => release())
          .then(() => resolve(client), reject);
      }),
    );
    expect(typeof viaConnect.query).toBe('function');

    expect(failures.map((error) => (error as { code?: string }).code)).toEqual(['42P01', '23505', '42601']);
    await collector.flush();
    const points = receiver.points;
    expect(valuesByLabels(points, 'db_queries_total')).toEqual({
      'query_type=INSERT,success=true,tenant_id=acme': 1,
      'query_type=SELECT,success=true,tenant_id=acme': 3,
      'query_type=UPDATE,success=true,tenant_id=acme': 1,
      'query_type=DELETE,success=true,tenant_id=acme': 1,
      'error_class=42,query_type=SELECT,success=false,tenant_id=acme': 1,
      'error_class=23,query_type=INSERT,success=false,tenant_id=acme': 1,
      'error_class=42,query_type=OTHER,success=false,tenant_id=acme': 1,
      'query_type=SELECT,success=true,tenant_id=system': 1,
      'query_type=UPDATE,success=true,tenant_id=system': 1,
    });
    expect(valuesByLabels(points, 'db_query_duration_seconds')).toEqual({
      'query_type=INSERT,table=pg_items,tenant_id=acme': 2,
      'query_type=SELECT,table=pg_items,tenant_id=acme': 3,
      'query_type=UPDATE,table=pg_items,tenant_id=acme': 1,
      'query_type=DELETE,table=pg_items,tenant_id=acme': 1,
      'query_type=SELECT,table=pg_missing_table,tenant_id=acme': 1,
      'query_type=OTHER,table=,tenant_id=acme': 1,
      'query_type=SELECT,table=pg_items,tenant_id=system': 1,
      'query_type=UPDATE,table=pg_items,tenant_id=system': 1,
    });
    expect(valuesByLabels(points, 'db_transactions_total')).toEqual({});
    await pool.end();
  });

  it('counts BEGIN … COMMIT / ROLLBACK on a checked-out client, and Drizzle transactions on the pool, as transactions', async () => {
    await collector.flush();
    receiver.clear();
    const pool = instrumentPg(collector, new pg.Pool({ connectionString: DATABASE_URL, max: 2 }), { database: 'shop' });
    const client = await pool.connect();
    await asTenant(collector, 'acme', async () => {
      await client.query('BEGIN');
      await client.query(`insert into ${items} (name) values ('t1')`);
      await client.query('COMMIT');
      await client.query('begin isolation level serializable');
      await client.query(`insert into ${items} (name) values ('t2')`);
      await client.query('rollback');
      // An error aborts the transaction: the server answers COMMIT with ROLLBACK.
      await client.query('START TRANSACTION');
      await client.query(`insert into ${items} (name) values ('t1')`).catch(() => {});
      const answer = await client.query('commit');
      expect(answer.command).toBe('ROLLBACK');
      // A COMMIT with no transaction open ends nothing.
      await client.query('commit');
    });
    client.release();

    const schema = pgSchema(schemaName);
    const table = schema.table('pg_items', {
      id: serial('id').primaryKey(),
      name: text('name').notNull(),
      amount: integer('amount').notNull(),
    });
    const db = drizzle(pool);
    await asTenant(collector, 'globex', async () => {
      await db.transaction(async (tx) => {
        await tx.insert(table).values({ name: 'd1', amount: 1 });
        await tx.update(table).set({ amount: 2 }).where(eq(table.name, 'd1'));
      });
      await db
        .transaction(async (tx) => {
          await tx.insert(table).values({ name: 'd2', amount: 1 });
          tx.rollback();
        })
        .catch(() => {});
    });
    expect((await setup.query(`select name from ${items} where name in ('t1', 't2', 'd1', 'd2') order by name`)).rows).toEqual([
      { name: 'd1' },
      { name: 't1' },
    ]);

    await collector.flush();
    const points = receiver.points;
    expect(valuesByLabels(points, 'db_transactions_total')).toEqual({
      'nested=false,status=commit,tenant_id=acme': 1,
      'nested=false,status=rollback,tenant_id=acme': 2,
      'nested=false,status=commit,tenant_id=globex': 1,
      'nested=false,status=rollback,tenant_id=globex': 1,
    });
    // BEGIN, COMMIT and ROLLBACK are the transactions' own statements, not queries.
    expect(valuesByLabels(points, 'db_queries_total')).toEqual({
      'query_type=INSERT,success=true,tenant_id=acme': 2,
      'error_class=23,query_type=INSERT,success=false,tenant_id=acme': 1,
      'query_type=INSERT,success=true,tenant_id=globex': 2,
      'query_type=UPDATE,success=true,tenant_id=globex': 1,
    });
    await pool.end();
  });
});
