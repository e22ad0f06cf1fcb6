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

/** Orders the demo keeps unless told otherwise: the newest 10,000 (about 1 MB of table in PGlite). */
export const DEFAULT_MAX_ORDERS = 10_000;

/** What the store holds now. */
export interface StoredCounts {
  orders: number;
  /** Rows of the stock table: one per SKU that a kept order names (SKUs are chosen by the client). */
  skus: number;
}

/**
 * Where the demo keeps orders: Drizzle over an instrumented database, embedded (PGlite) or a server (postgres.js).
 * It holds at most `maxOrders` orders once `prune()` has run: the demo runs for days, and an embedded database
 * lives in the process's memory.
 */
export interface OrderStore {
  readonly description: string;
  readonly maxOrders: number;
  list(tenant: string): Promise<Order[]>;
  get(tenant: string, id: number): Promise<Order | undefined>;
  /** Rejects with the database's error (SQLSTATE 23514) for a quantity below 1: the transaction rolls back. */
  create(tenant: string, sku: string, qty: number): Promise<Order>;
  /**
   * Deletes every order but the newest `maxOrders`, and the stock rows no kept order names; the embedded database
   * then reclaims the space (VACUUM: the deleted rows' pages are reused by the next inserts) and its write-ahead log
   * (CHECKPOINT: PGlite runs no background checkpointer, so its WAL would otherwise grow towards max_wal_size, 1 GB).
   * Resolves with how many orders it deleted. Runs on the bare client: it is the demo's housekeeping, not a
   * tenant's traffic.
   */
  prune(): Promise<number>;
  counts(): Promise<StoredCounts>;
  close(): Promise<void>;
}

/** How the store reaches its database without ringmeter's hooks, for its housekeeping. */
interface Housekeeping {
  /** Runs one statement with positional parameters; resolves with its rows. */
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** After the delete: what the database needs to give the space back (nothing on a server: autovacuum runs there). */
  reclaim(): Promise<void>;
}

/** The newest `maxOrders` orders stay (ids are unique; a rolled-back insert leaves a gap, so count rows, not ids). */
const PRUNE_ORDERS =
  'with deleted as (delete from ringmeter_demo_orders where id < ' +
  '(select id from ringmeter_demo_orders order by id desc offset $1 limit 1) returning 1) select count(*)::int as deleted from deleted';
const PRUNE_STOCK = 'delete from ringmeter_demo_stock where sku not in (select sku from ringmeter_demo_orders)';
const COUNTS =
  'select (select count(*) from ringmeter_demo_orders)::int as orders, (select count(*) from ringmeter_demo_stock)::int as skus';

function checkedMaxOrders(maxOrders: number): number {
  if (!Number.isSafeInteger(maxOrders) || maxOrders < 1)
    throw new RangeError(`maxOrders must be an integer of 1 or more (got ${maxOrders})`);
  return maxOrders;
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
export async function openEmbeddedOrders(collector: Collector, maxOrders = DEFAULT_MAX_ORDERS): Promise<OrderStore> {
  checkedMaxOrders(maxOrders);
  const pglite = new PGlite();
  for (const statement of SCHEMA) await pglite.exec(statement);
  const db = drizzlePglite(instrumentPglite(collector, pglite, { database: 'demo' }));
  const housekeeping: Housekeeping = {
    query: async (text, params) => (await pglite.query<Record<string, unknown>>(text, params)).rows,
    // PGlite queues every statement behind the transaction running, so this never interleaves with an order.
    reclaim: async () => {
      await pglite.exec('vacuum');
      await pglite.exec('checkpoint');
    },
  };
  return ordersOn(db, 'PGlite, the embedded PostgreSQL (Drizzle over instrumentPglite)', maxOrders, housekeeping, () => pglite.close());
}

/** A PostgreSQL server, instrumented with instrumentPostgres; rejects when the server does not answer. */
export async function openServerOrders(collector: Collector, url: string, maxOrders = DEFAULT_MAX_ORDERS): Promise<OrderStore> {
  checkedMaxOrders(maxOrders);
  const bare = postgres(url, { max: 5, connect_timeout: 5, onnotice: () => {} });
  try {
    for (const statement of SCHEMA) await bare.unsafe(statement);
  } catch (error) {
    await bare.end({ timeout: 1 }).catch(() => {});
    throw error;
  }
  const sql = instrumentPostgres(collector, bare, { database: 'demo' });
  const housekeeping: Housekeeping = {
    query: async (text, params = []) => [...(await bare.unsafe(text, params as postgres.ParameterOrJSON<never>[]))],
    reclaim: async () => {},
  };
  return ordersOn(drizzlePostgres(sql), 'PostgreSQL at DATABASE_URL (Drizzle over instrumentPostgres)', maxOrders, housekeeping, () =>
    sql.end({ timeout: 5 }),
  );
}

function ordersOn(
  db: PgDatabase<PgQueryResultHKT>,
  description: string,
  maxOrders: number,
  housekeeping: Housekeeping,
  close: () => Promise<void>,
): OrderStore {
  const counts = async (): Promise<StoredCounts> => {
    const [row] = await housekeeping.query(COUNTS);
    return { orders: Number(row.orders), skus: Number(row.skus) };
  };
  return {
    description,
    maxOrders,
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
    prune: async () => {
      const [{ deleted }] = await housekeeping.query(PRUNE_ORDERS, [maxOrders - 1]);
      await housekeeping.query(PRUNE_STOCK);
      await housekeeping.reclaim();
      return Number(deleted);
    },
    counts,
    close,
  };
}
