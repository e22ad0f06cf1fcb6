import type { PGlite } from '@electric-sql/pglite';
import { count, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { drizzleLogger } from 'ringmeter/drizzle';
import { createTables, defineTables } from './support/database.js';
import { freshPglite } from './support/pglite.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { asTenant, pointsNamed, startPipeline, valuesByLabels } from './support/harness.js';

describe('drizzleLogger on PGlite (the logger hook alone)', () => {
  const tables = defineTables('app');
  let client: PGlite;
  let collector: Collector;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    client = await freshPglite();
    // The schema is made through a Drizzle instance without the logger: only the work below is counted.
    await createTables(drizzle(client), 'app');
    ({ collector, receiver } = await startPipeline());
  });

  afterAll(async () => {
    await collector.shutdown();
    await receiver.stop();
    await client.close();
  });

  it('counts and classifies every query Drizzle runs, untimed, per tenant', async () => {
    const { tenants, users, orders } = tables;
    const db = drizzle(client, { logger: drizzleLogger(collector) });

    await asTenant(collector, 'acme', async () => {
      const [acme] = await db.insert(tenants).values({ name: 'acme' }).returning();
      const [ann] = await db.insert(users).values({ tenantId: acme.id, name: 'ann' }).returning();
      await db.insert(orders).values([
        { userId: ann.id, amount: 5 },
        { userId: ann.id, amount: 6 },
      ]);
      await db.select().from(orders).where(eq(orders.userId, ann.id));
      await db.update(orders).set({ amount: 7 }).where(eq(orders.amount, 6));
      await db.delete(orders).where(eq(orders.amount, 5));
      await db.execute(sql`select * from missing_table`).catch(() => {});
    });
    await asTenant(collector, 'globex', () =>
      db.transaction(async (tx) => {
        await tx.select({ n: count() }).from(users);
        await tx.select().from(tenants);
      }),
    );
    await db.select().from(orders);
    await collector.flush();

    const points = receiver.points;
    // Drizzle logs a query before running it: the failing one is counted like the others, its outcome unknown.
    expect(valuesByLabels(points, 'db_queries_total')).toEqual({
      'query_type=INSERT,success=unknown,tenant_id=acme': 3,
      'query_type=SELECT,success=unknown,tenant_id=acme': 2,
      'query_type=UPDATE,success=unknown,tenant_id=acme': 1,
      'query_type=DELETE,success=unknown,tenant_id=acme': 1,
      'query_type=SELECT,success=unknown,tenant_id=globex': 2,
      'query_type=SELECT,success=unknown,tenant_id=system': 1,
    });
    // No durations, no BEGIN/COMMIT, no pool: the logger sees none of them.
    for (const metric of ['db_query_duration_seconds', 'db_transactions_total', 'db_connections_active', 'db_connections_idle']) {
      expect(pointsNamed(points, metric)).toEqual([]);
    }
  });
});
