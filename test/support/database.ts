import { sql } from 'drizzle-orm';
import { integer, pgSchema, serial, text } from 'drizzle-orm/pg-core';

/** The test server: PostgreSQL on 127.0.0.1:5432, trust auth, user postgres, database test. */
export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other run uses, so that reruns (and a run interrupted midway) never meet old tables. */
export function uniqueSchemaName(): string {
  return `ringmeter_test_${process.pid}_${Date.now().toString(36)}`;
}

/** Drizzle tables tenants, users and orders inside `schemaName`. */
export function defineTables(schemaName: string) {
  const schema = pgSchema(schemaName);
  const tenants = schema.table('tenants', {
    id: serial('id').primaryKey(),
    name: text('name').notNull().unique(),
  });
  const users = schema.table('users', {
    id: serial('id').primaryKey(),
    tenantId: integer('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
  });
  const orders = schema.table('orders', {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    amount: integer('amount').notNull(),
  });
  return { tenants, users, orders };
}

/** Anything Drizzle can run raw SQL on (postgres-js, PGlite…). */
interface Executor {
  execute(query: ReturnType<typeof sql.raw>): PromiseLike<unknown>;
}

/** Creates the schema and its tables, matching defineTables. */
export async function createTables(db: Executor, schemaName: string): Promise<void> {
  const schema = `"${schemaName}"`;
  await db.execute(sql.raw(`drop schema if exists ${schema} cascade`));
  await db.execute(sql.raw(`create schema ${schema}`));
  await db.execute(sql.raw(`create table ${schema}.tenants (id serial primary key, name text not null unique)`));
  await db.execute(
    sql.raw(
      `create table ${schema}.users (id serial primary key, tenant_id integer not null references ${schema}.tenants (id), name text not null)`,
    ),
  );
  await db.execute(
    sql.raw(
      `create table ${schema}.orders (id serial primary key, user_id integer not null references ${schema}.users (id), amount integer not null)`,
    ),
  );
}

export async function dropTables(db: Executor, schemaName: string): Promise<void> {
  await db.execute(sql.raw(`drop schema if exists "${schemaName}" cascade`));
}
