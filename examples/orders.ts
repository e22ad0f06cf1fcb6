import { and, desc, eq, sql as raw } from 'drizzle-orm';
import type { Logger } from 'drizzle-orm/logger';
import { drizzle } from 'drizzle-orm/postgres-js';
import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core';
import postgres from 'postgres';

export interface Order {
  id: number;
  tenant: string;
  sku: string;
  qty: number;
}

/** Where the demo keeps orders: PostgreSQL through Drizzle when it can connect, else memory. */
export interface OrderStore {
  readonly description: string;
  list(tenant: string): Promise<Order[]>;
  get(tenant: string, id: number): Promise<Order | undefined>;
  create(tenant: string, sku: string, qty: number): Promise<Order>;
  close(): Promise<void>;
}

const orders = pgTable('ringmeter_demo_orders', {
  id: serial('id').primaryKey(),
  tenant: text('tenant').notNull(),
  sku: text('sku').notNull(),
  qty: integer('qty').notNull(),
});
const stock = pgTable('ringmeter_demo_stock', {
  sku: text('sku').primaryKey(),
  reserved: integer('reserved').notNull(),
});

/**
 * Connects to PostgreSQL and prepares the demo's two tables; falls back to memory when the server does not answer.
 * `instrument` wraps the postgres.js client (instrumentPostgres); `logger` is the Drizzle logger hook.
 */
export async function connectOrders(url: string, instrument: (sql: postgres.Sql) => postgres.Sql, logger: Logger): Promise<OrderStore> {
  const bare = postgres(url, { max: 5, connect_timeout: 2, onnotice: () => {} });
  try {
    await bare`create table if not exists ringmeter_demo_orders (id serial primary key, tenant text not null, sku text not null, qty integer not null)`;
    await bare`create table if not exists ringmeter_demo_stock (sku text primary key, reserved integer not null)`;
  } catch (error) {
    await bare.end({ timeout: 1 }).catch(() => {});
    console.log(`(no PostgreSQL at ${url.replace(/\/\/[^@]*@/, '//')}: ${(error as Error).message}; orders are kept in memory)`);
    return memoryStore();
  }
  const sql = instrument(bare);
  const db = drizzle(sql, { logger });
  return {
    description: 'PostgreSQL (Drizzle over an instrumented postgres.js client)',
    list: (tenant) => db.select().from(orders).where(eq(orders.tenant, tenant)).orderBy(desc(orders.id)).limit(20),
    get: async (tenant, id) =>
      (
        await db
          .select()
          .from(orders)
          .where(and(eq(orders.tenant, tenant), eq(orders.id, id)))
      )[0],
    // A transaction: the order and the stock reservation land together, or not at all.
    create: (tenant, sku, qty) =>
      db.transaction(async (tx) => {
        const [order] = await tx.insert(orders).values({ tenant, sku, qty }).returning();
        await tx
          .insert(stock)
          .values({ sku, reserved: qty })
          .onConflictDoUpdate({ target: stock.sku, set: { reserved: raw`${stock.reserved} + ${qty}` } });
        return order;
      }),
    close: () => sql.end({ timeout: 5 }),
  };
}

function memoryStore(): OrderStore {
  const rows: Order[] = [];
  return {
    description: 'memory',
    list: async (tenant) =>
      rows
        .filter((row) => row.tenant === tenant)
        .slice(-20)
        .reverse(),
    get: async (tenant, id) => rows.find((row) => row.tenant === tenant && row.id === id),
    create: async (tenant, sku, qty) => {
      const order = { id: rows.length + 1, tenant, sku, qty };
      rows.push(order);
      return order;
    },
    close: async () => {},
  };
}
