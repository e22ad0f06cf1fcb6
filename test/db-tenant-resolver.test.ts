import { AsyncLocalStorage } from 'node:async_hooks';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { drizzleLogger } from 'ringmeter/drizzle';
import { internals } from 'ringmeter/internal';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { startPipeline, total } from './support/harness.js';

describe("a tenant resolver of the application instead of the middleware's request scope", () => {
  it("attributes queries and transactions through it, and leaves ringmeter's own scope off", async () => {
    const { collector, receiver } = await startPipeline();
    // The application's own request context, as many services already have.
    const context = new AsyncLocalStorage<{ tenant: string }>();
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 2 }), {
      database: 'test',
      tenant: () => context.getStore()?.tenant,
    });
    const logger = drizzleLogger(collector, {
      tenant: () => {
        throw new Error('a resolver that fails counts the query under invalid');
      },
    });
    try {
      expect(internals(collector).requestScope.enabled).toBe(false);
      await context.run({ tenant: 'acme' }, async () => {
        await sql`select 1`;
        await sql.begin(async (tx) => tx`select 2`);
      });
      await context.run({ tenant: 'globex' }, async () => {
        await sql.unsafe('select 3');
      });
      await sql`select 4`;
      // The logger is silent behind an instrumented client of the same collector; on its own it would count.
      logger.logQuery('select 5', []);
      await collector.flush();
      expect(total(receiver.points, 'db_queries_total', { tenant_id: 'acme' })).toBe(2);
      expect(total(receiver.points, 'db_queries_total', { tenant_id: 'globex' })).toBe(1);
      expect(total(receiver.points, 'db_queries_total', { tenant_id: 'system' })).toBe(1);
      expect(total(receiver.points, 'db_transactions_total', { tenant_id: 'acme', status: 'commit' })).toBe(1);
    } finally {
      await sql.end();
      await collector.shutdown();
      await receiver.stop();
    }
  });
});
