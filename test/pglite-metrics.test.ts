import { PGlite } from '@electric-sql/pglite';
import { count, eq, lt, sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { drizzleLogger } from 'ringmeter/drizzle';
import { instrumentPglite } from 'ringmeter/pglite';
import { createTables, defineTables } from './support/database.js';
import { CONNECTION_STRING_REFUSALS, connectionStringRefusal } from './support/connection-strings.js';
import { freshPglite } from './support/pglite.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { asTenant, pointsNamed, startPipeline, valuesByLabels } from './support/harness.js';

/**
 * A known mix of Drizzle and raw PGlite work under known tenants, through an instrumented PGlite that also has the
 * Drizzle logger: every query, failure and transaction exported exactly once, exactly labelled.
 */
describe('instrumentPglite on a real PGlite', () => {
  const tables = defineTables('app');
  let bare: PGlite;
  let collector: Collector;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    bare = await freshPglite();
    await createTables(drizzle(bare), 'app');
    await bare.exec('create table app.deferred (id int unique deferrable initially deferred)');
    ({ collector, receiver } = await startPipeline());
  });

  afterAll(async () => {
    await collector.shutdown();
    await receiver.stop();
    await bare.close();
  });

  it('exports counts, labels, SQLSTATE classes, transactions, durations and the pool of one exactly', async () => {
    const { tenants, users, orders } = tables;
    const pglite = instrumentPglite(collector, bare, { database: 'embedded' });
    const db = drizzle(pglite, { logger: drizzleLogger(collector) });

    const started = performance.now();
    const failures: unknown[] = [];
    await asTenant(collector, 'acme', async () => {
      const [acme] = await db.insert(tenants).values({ name: 'acme' }).returning({ id: tenants.id });
      await db.insert(users).values([
        { tenantId: acme.id, name: 'ann' },
        { tenantId: acme.id, name: 'bob' },
      ]);
      await db.select().from(users).where(eq(users.tenantId, acme.id));
      await db.update(users).set({ name: 'anne' }).where(eq(users.name, 'ann'));
      // Raw PGlite through the same instance: query, a tagged template, exec.
      await pglite.query('select count(*) from app.users where tenant_id = $1', [acme.id]);
      await pglite.sql`select name from app.users where id = ${acme.id}`;
      await pglite.exec('update app.users set name = name');
      failures.push(await db.execute(drizzleSql`select * from missing_table`).catch((error: unknown) => error));
      failures.push(await pglite.query('insert into app.tenants (name) values ($1)', ['acme']).catch((error: unknown) => error));
      failures.push(await pglite.exec('select 1 / 0').catch((error: unknown) => error));
    });
    const [user] = await db.select({ id: users.id }).from(users).limit(1);
    await asTenant(collector, 'globex', async () => {
      await db.transaction(async (tx) => {
        const [order] = await tx.insert(orders).values({ userId: user.id, amount: 10 }).returning({ id: orders.id });
        await tx.update(orders).set({ amount: 11 }).where(eq(orders.id, order.id));
      });
      // Drizzle's rollback() throws: PGlite rolls back.
      await db
        .transaction(async (tx) => {
          await tx.insert(orders).values({ userId: user.id, amount: 20 });
          tx.rollback();
        })
        .catch(() => {});
      // PGlite's own rollback(): the callback returns normally, yet nothing was committed.
      const value = await pglite.transaction(async (tx) => {
        await tx.query('insert into app.orders (user_id, amount) values ($1, 21)', [user.id]);
        await tx.rollback();
        return 'rolled back';
      });
      expect(value).toBe('rolled back');
      // A COMMIT the server refuses (a deferred unique constraint) rolls the transaction back.
      failures.push(
        await pglite
          .transaction(async (tx) => {
            await tx.exec('insert into app.deferred values (1)');
            await tx.sql`insert into app.deferred values (${1})`;
          })
          .catch((error: unknown) => error),
      );
    });
    // Outside any request: the system tenant.
    await db.delete(orders).where(lt(orders.amount, 0));
    await db.select({ n: count() }).from(tenants);
    const wallSeconds = (performance.now() - started) / 1000;

    // The application sees PGlite's own errors, SQLSTATE and all.
    expect(
      failures.map((error) => (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code),
    ).toEqual(['42P01', '23505', '22012', '23505']);
    expect((await bare.query('select amount from app.orders order by amount')).rows).toEqual([{ amount: 11 }]);

    await collector.flush();
    const points = receiver.points;
    expect(valuesByLabels(points, 'db_queries_total')).toEqual({
      'query_type=INSERT,success=true,tenant_id=acme': 2,
      'query_type=SELECT,success=true,tenant_id=acme': 3,
      'query_type=UPDATE,success=true,tenant_id=acme': 2,
      'error_class=42,query_type=SELECT,success=false,tenant_id=acme': 1,
      'error_class=23,query_type=INSERT,success=false,tenant_id=acme': 1,
      'error_class=22,query_type=SELECT,success=false,tenant_id=acme': 1,
      'query_type=SELECT,success=true,tenant_id=system': 2,
      'query_type=INSERT,success=true,tenant_id=globex': 5,
      'query_type=UPDATE,success=true,tenant_id=globex': 1,
      'query_type=DELETE,success=true,tenant_id=system': 1,
    });
    expect(valuesByLabels(points, 'db_query_duration_seconds')).toEqual({
      'query_type=INSERT,table=tenants,tenant_id=acme': 2,
      'query_type=INSERT,table=users,tenant_id=acme': 1,
      'query_type=SELECT,table=users,tenant_id=acme': 3,
      'query_type=UPDATE,table=users,tenant_id=acme': 2,
      'query_type=SELECT,table=missing_table,tenant_id=acme': 1,
      'query_type=SELECT,table=,tenant_id=acme': 1,
      'query_type=SELECT,table=users,tenant_id=system': 1,
      'query_type=INSERT,table=orders,tenant_id=globex': 3,
      'query_type=INSERT,table=deferred,tenant_id=globex': 2,
      'query_type=UPDATE,table=orders,tenant_id=globex': 1,
      'query_type=DELETE,table=orders,tenant_id=system': 1,
      'query_type=SELECT,table=tenants,tenant_id=system': 1,
    });
    // Four transactions: one committed, three rolled back (a throw, PGlite's rollback(), a refused COMMIT).
    expect(valuesByLabels(points, 'db_transactions_total')).toEqual({
      'nested=false,status=commit,tenant_id=globex': 1,
      'nested=false,status=rollback,tenant_id=globex': 3,
    });
    // One query or transaction at a time on PGlite's single connection.
    expect(valuesByLabels(points, 'db_connections_active')).toEqual({ 'database=embedded': 1 });
    expect(valuesByLabels(points, 'db_connections_idle')).toEqual({ 'database=embedded': 0 });

    const histograms = pointsNamed(points, 'db_query_duration_seconds');
    const sum = histograms.reduce((total, point) => total + (point.sum ?? 0), 0);
    expect(sum).toBeLessThanOrEqual(wallSeconds);
    for (const point of histograms) expect(point.min).toBeGreaterThan(0);
    expect(collector.stats().ring.dropped).toBe(0);
  });

  it('hands back PGlite results and errors untouched, and never reads parameters', async () => {
    await collector.flush();
    receiver.clear();
    const other = await freshPglite();
    const pglite = instrumentPglite(collector, other);
    const secret = 'hunter2-parameter';
    const text = 'select $1::text as value, 2 as n';
    expect(await pglite.query(text, [secret])).toEqual(await bare.query(text, [secret]));
    expect(await pglite.exec('select 1 as one; select 2 as two')).toEqual(await bare.exec('select 1 as one; select 2 as two'));
    expect((await pglite.query<{ n: number }>('select 3 as n', [], { rowMode: 'array' })).rows).toEqual([[3]]);
    const error = await pglite.query('select * from nowhere where secret = $1', [secret]).catch((caught: unknown) => caught);
    const bareError = await bare.query('select * from nowhere where secret = $1', [secret]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(Object.getPrototypeOf(error)).toBe(Object.getPrototypeOf(bareError));
    expect({ ...(error as object) }).toEqual({ ...(bareError as object) });
    // Methods not observed are PGlite's own, bound to the instance (its private members fail on a proxy).
    expect(pglite).toBeInstanceOf(PGlite);
    expect((await pglite.describeQuery('select $1::int as n')).resultFields.map((field) => field.name)).toEqual(['n']);
    expect(pglite.closed).toBe(false);
    expect(pglite.close).toBe(pglite.close);
    await collector.flush();
    expect(JSON.stringify(receiver.accepted, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))).not.toContain(
      secret,
    );
    expect(valuesByLabels(receiver.points, 'db_queries_total')).toEqual({
      'query_type=SELECT,success=true,tenant_id=system': 3,
      'error_class=42,query_type=SELECT,success=false,tenant_id=system': 1,
    });
    await pglite.close();
    expect(other.closed).toBe(true);
  });

  // The next tests instrument `bare` again, each with a collector of its own: an instrumented client is a proxy
  // over the instance, which stays as it was, so they need no PGlite of their own (each costs ~2 s of CPU to open).
  it('never throws because of metrics: a failing tenant resolver, a collector shut down', async () => {
    const { collector: closing, receiver: closingReceiver } = await startPipeline();
    const pglite = instrumentPglite(closing, bare, {
      tenant: () => {
        throw new Error('no context');
      },
    });
    expect((await pglite.query('select 1 as n')).rows).toEqual([{ n: 1 }]);
    await closing.flush();
    // The resolver's failure is the application's: the query is recorded under `invalid`, and counted.
    expect(valuesByLabels(closingReceiver.points, 'db_queries_total')).toEqual({ 'query_type=SELECT,success=true,tenant_id=invalid': 1 });
    expect(closing.stats().rejectedBy).toEqual({ 'instrumentPglite.tenant': 1 });
    await closing.shutdown();
    await closingReceiver.stop();
    expect((await pglite.query('select 2 as n')).rows).toEqual([{ n: 2 }]);
    expect(await pglite.transaction(async (tx) => (await tx.query<{ n: number }>('select 3 as n')).rows[0].n)).toBe(3);
  });

  it('refuses bad arguments at once, naming them; with db metrics off it records nothing', async () => {
    const other = bare;
    expect(() => instrumentPglite({} as Collector, other)).toThrow(
      new TypeError('collector must be a ringmeter Collector (what createCollector() returns; got object)'),
    );
    expect(() => instrumentPglite(collector, {})).toThrow(
      new TypeError('pglite must be a PGlite instance (what new PGlite() or PGlite.create() returns)'),
    );
    const once = instrumentPglite(collector, other);
    expect(() => instrumentPglite(collector, once)).toThrow(
      new TypeError('pglite is already instrumented: pass the instance new PGlite() returned, once'),
    );
    expect(() => instrumentPglite(collector, other, { databse: 'x' } as never)).toThrow(
      new TypeError('options.databse is not an option (did you mean database?)'),
    );
    expect(() => instrumentPglite(collector, other, { database: '' })).toThrow(RangeError);
    expect(() => instrumentPglite(collector, other, { tenant: 'acme' } as never)).toThrow(
      new TypeError('options.tenant must be a function () => string | undefined'),
    );
    const { collector: off, receiver: offReceiver } = await startPipeline({ metrics: { db: false } });
    // Instrumented all the same (configure() may switch db on); nothing is recorded while db is off.
    const offInstrumented = instrumentPglite(off, other);
    expect(offInstrumented).not.toBe(other);
    await offInstrumented.query('select 1');
    expect(off.stats().ring.written).toBe(0);
    await off.shutdown();
    await offReceiver.stop();
  });

  it('refuses a connection string as the `database` label with a RangeError naming the option and why, never showing it (issue #28, item 7)', () => {
    for (const [database, why] of Object.entries(CONNECTION_STRING_REFUSALS)) {
      expect(() => instrumentPglite(collector, bare, { database })).toThrow(connectionStringRefusal(why));
    }
  });
});
