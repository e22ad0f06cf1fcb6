import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { prismaMetrics } from 'ringmeter/prisma';
import { DATABASE_URL, uniqueSchemaName } from './support/database.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { asTenant, startPipeline, valuesByLabels } from './support/harness.js';
import { generatePrismaClient } from './support/prisma.js';

/** The parts of the generated client (test/fixtures/prisma/schema.prisma) the test uses. */
interface Delegate {
  [operation: string]: (args?: unknown) => Promise<unknown> & { [Symbol.toStringTag]: string };
}
interface TestClient {
  account: Delegate;
  invoice: Delegate;
  $transaction(work: unknown): Promise<unknown>;
  $disconnect(): Promise<void>;
}

/**
 * Prisma 7 through a client generated in this file's setup, on @prisma/adapter-pg and the real server: every model
 * operation counted under its query type, its model's table (@@map), the scope's tenant, Prisma's errors classed,
 * batch and interactive transactions committed and rolled back, each exactly once.
 */
describe('prismaMetrics on a real server', () => {
  const schemaName = `${uniqueSchemaName()}_prisma`;
  const setup = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  let PrismaClient: new (options: { adapter: unknown }) => unknown;
  let collector: Collector;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    ({ PrismaClient } = await generatePrismaClient());
    const schema = `"${schemaName}"`;
    await setup.query(`create schema ${schema}`);
    await setup.query(`create table ${schema}.prisma_accounts (id serial primary key, name text not null unique)`);
    await setup.query(
      `create table ${schema}."Invoice" (id serial primary key, "accountId" integer not null references ${schema}.prisma_accounts (id), amount integer not null)`,
    );
    ({ collector, receiver } = await startPipeline());
  }, 120_000);

  afterAll(async () => {
    await collector.shutdown();
    await receiver.stop();
    await setup.query(`drop schema if exists "${schemaName}" cascade`);
    await setup.end();
  });

  it('records each model operation with its query type, table, tenant and error class, and transactions', async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 3 });
    const base = new PrismaClient({ adapter: new PrismaPg(pool, { schema: schemaName }) }) as { $extends(extension: unknown): unknown };
    const prisma = base.$extends(prismaMetrics(collector)) as TestClient;

    const failures: unknown[] = [];
    let acmeId = 0;
    await asTenant(collector, 'acme', async () => {
      const account = (await prisma.account.create({ data: { name: 'acme' } })) as { id: number };
      acmeId = account.id;
      await prisma.invoice.createMany({ data: [1, 2, 3].map((amount) => ({ accountId: acmeId, amount })) });
      expect(await prisma.invoice.findMany({ where: { accountId: acmeId }, orderBy: { amount: 'asc' }, select: { amount: true } })).toEqual(
        [{ amount: 1 }, { amount: 2 }, { amount: 3 }],
      );
      expect(await prisma.invoice.count()).toBe(3);
      await prisma.invoice.aggregate({ _sum: { amount: true } });
      await prisma.invoice.groupBy({ by: ['accountId'], _count: true });
      await prisma.account.update({ where: { id: acmeId }, data: { name: 'acme inc' } });
      await prisma.invoice.updateMany({ where: { amount: 3 }, data: { amount: 4 } });
      await prisma.account.upsert({ where: { name: 'initech' }, create: { name: 'initech' }, update: {} });
      await prisma.invoice.deleteMany({ where: { amount: 4 } });
      failures.push(await prisma.account.create({ data: { name: 'initech' } }).catch((error: unknown) => error));
      failures.push(await prisma.account.findUniqueOrThrow({ where: { id: -1 } }).catch((error: unknown) => error));
    });
    // Outside any request: system.
    await prisma.account.findMany();

    await asTenant(collector, 'globex', async () => {
      await prisma.$transaction([
        prisma.invoice.create({ data: { accountId: acmeId, amount: 10 } }),
        prisma.invoice.updateMany({ where: { amount: 10 }, data: { amount: 11 } }),
      ]);
      await prisma.$transaction(async (tx: TestClient) => {
        await tx.invoice.create({ data: { accountId: acmeId, amount: 20 } });
        await tx.invoice.delete({ where: { id: ((await tx.invoice.findFirst({ where: { amount: 20 } })) as { id: number }).id } });
      });
      const rolledBack = await prisma
        .$transaction(async (tx: TestClient) => {
          await tx.invoice.create({ data: { accountId: acmeId, amount: 30 } });
          throw new Error('changed my mind');
        })
        .catch((error: unknown) => error);
      expect((rolledBack as Error).message).toBe('changed my mind');
    });

    expect(failures.map((error) => (error as { code?: string }).code)).toEqual(['P2002', 'P2025']);
    expect((await setup.query(`select amount from "${schemaName}"."Invoice" order by amount`)).rows).toEqual([
      { amount: 1 },
      { amount: 2 },
      { amount: 11 },
    ]);

    await collector.flush();
    const points = receiver.points;
    expect(valuesByLabels(points, 'db_queries_total')).toEqual({
      'query_type=INSERT,success=true,tenant_id=acme': 3,
      'query_type=SELECT,success=true,tenant_id=acme': 4,
      'query_type=UPDATE,success=true,tenant_id=acme': 2,
      'query_type=DELETE,success=true,tenant_id=acme': 1,
      'error_class=23,query_type=INSERT,success=false,tenant_id=acme': 1,
      'query_type=SELECT,success=false,tenant_id=acme': 1,
      'query_type=SELECT,success=true,tenant_id=system': 1,
      'query_type=INSERT,success=true,tenant_id=globex': 3,
      'query_type=UPDATE,success=true,tenant_id=globex': 1,
      'query_type=SELECT,success=true,tenant_id=globex': 1,
      'query_type=DELETE,success=true,tenant_id=globex': 1,
    });
    expect(valuesByLabels(points, 'db_query_duration_seconds')).toEqual({
      'query_type=INSERT,table=prisma_accounts,tenant_id=acme': 3,
      'query_type=INSERT,table=Invoice,tenant_id=acme': 1,
      'query_type=SELECT,table=Invoice,tenant_id=acme': 4,
      'query_type=SELECT,table=prisma_accounts,tenant_id=acme': 1,
      'query_type=UPDATE,table=prisma_accounts,tenant_id=acme': 1,
      'query_type=UPDATE,table=Invoice,tenant_id=acme': 1,
      'query_type=DELETE,table=Invoice,tenant_id=acme': 1,
      'query_type=SELECT,table=prisma_accounts,tenant_id=system': 1,
      'query_type=INSERT,table=Invoice,tenant_id=globex': 3,
      'query_type=UPDATE,table=Invoice,tenant_id=globex': 1,
      'query_type=SELECT,table=Invoice,tenant_id=globex': 1,
      'query_type=DELETE,table=Invoice,tenant_id=globex': 1,
    });
    expect(valuesByLabels(points, 'db_transactions_total')).toEqual({
      'nested=false,status=commit,tenant_id=globex': 2,
      'nested=false,status=rollback,tenant_id=globex': 1,
    });
    await prisma.$disconnect();
    await pool.end();
  });

  it('refuses bad arguments at once, naming them', () => {
    expect(() => prismaMetrics('postgres://app:s3cret@db/orders' as unknown as Collector)).toThrow(
      new TypeError('collector must be a ringmeter Collector (what createCollector() returns; got string)'),
    );
    expect(() => prismaMetrics(collector, null as never)).toThrow(new TypeError('options must be an object (got null)'));
    expect(() => prismaMetrics(collector, { tenant: 'acme' as never })).toThrow(
      new TypeError('options.tenant must be a function () => string | undefined'),
    );
    expect(() => prismaMetrics(collector, { tenantt: () => 'x' } as never)).toThrow(/options\.tenantt/);
  });
});
