import { PGlite } from '@electric-sql/pglite';
import { and, desc, eq, sql as raw } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { integer, pgTable, serial, text, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import type { Collector } from '../src/index.js';
import { instrumentPglite } from '../src/pglite/index.js';
import { instrumentPostgres } from '../src/postgres/index.js';

export interface Order {
  id: number;
  tenant: string;
  sku: string;
  qty: number;
}

/** Where the demo keeps orders: Drizzle over an instrumented database, embedded (PGlite) or a server (postgres.js). */
export interface OrderStore {
  readonly description: string;
  list(tenant: string): Promise<Order[]>;
  get(tenant: string, id: number): Promise<Order | undefined>;
  /** Rejects with the database's error (SQLSTATE 23514) for a quantity below 1: the transaction rolls back. */
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

const SCHEMA = [
  'create table if not exists ringmeter_demo_orders (id serial primary key, tenant text not null, sku text not null, qty integer not null)',
  'create table if not exists ringmeter_demo_stock (sku text primary key, reserved integer not null)',
  // The demo's error-prone tenants order zero items: the server refuses them, as a real check constraint would.
  'alter table ringmeter_demo_orders drop constraint if exists ringmeter_demo_orders_qty',
  'alter table ringmeter_demo_orders add constraint ringmeter_demo_orders_qty check (qty > 0)',
];

/** An embedded PostgreSQL in memory (PGlite), instrumented with instrumentPglite: no server needed. */
export async function openEmbeddedOrders(collector: Collector): Promise<OrderStore> {
  const pglite = new PGlite();
  for (const statement of SCHEMA) await pglite.exec(statement);
  const db = drizzlePglite(instrumentPglite(collector, pglite, { database: 'demo' }));
  return ordersOn(db, 'PGlite, the embedded PostgreSQL (Drizzle over instrumentPglite)', () => pglite.close());
}

/** A PostgreSQL server, instrumented with instrumentPostgres; rejects when the server does not answer. */
export async function openServerOrders(collector: Collector, url: string): Promise<OrderStore> {
  const bare = postgres(url, { max: 5, connect_timeout: 5, onnotice: () => {} });
  try {
    for (const statement of SCHEMA) await bare.unsafe(statement);
  } catch (error) {
    await bare.end({ timeout: 1 }).catch(() => {});
    throw error;
  }
  const sql = instrumentPostgres(collector, bare, { database: 'demo' });
  return ordersOn(drizzlePostgres(sql), 'PostgreSQL at DATABASE_URL (Drizzle over instrumentPostgres)', () => sql.end({ timeout: 5 }));
}

function ordersOn(db: PgDatabase<PgQueryResultHKT>, description: string, close: () => Promise<void>): OrderStore {
  return {
    description,
    list: (tenant) => db.select().from(orders).where(eq(orders.tenant, tenant)).orderBy(desc(orders.id)).limit(20),
    get: async (tenant, id) =>
      (
        await db
          .select()
          .from(orders)
          .where(and(eq(orders.tenant, tenant), eq(orders.id, id)))
      )[0],
    // A transaction: the stock reservation and the order land together, or not at all.
    create: (tenant, sku, qty) =>
      db.transaction(async (tx) => {
        await tx
          .insert(stock)
          .values({ sku, reserved: qty })
          .onConflictDoUpdate({ target: stock.sku, set: { reserved: raw`${stock.reserved} + ${qty}` } });
        const [order] = await tx.insert(orders).values({ tenant, sku, qty }).returning();
        return order;
      }),
    close,
  };
}
