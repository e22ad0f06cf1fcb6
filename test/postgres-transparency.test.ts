import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL, uniqueSchemaName } from './support/database.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline, valuesByLabels } from './support/harness.js';

type Sql = ReturnType<typeof postgres>;

/** What a result or error looks like to the application: enough to tell any difference the wrapper could make. */
function observable(value: unknown): unknown {
  if (value instanceof Error) {
    const fields = Object.fromEntries(Object.entries(value));
    const { query, parameters } = value as { query?: unknown; parameters?: unknown };
    return { class: value.constructor.name, name: value.name, message: value.message, fields, query, parameters };
  }
  if (Array.isArray(value)) {
    const result = value as unknown[] & { count?: unknown; command?: unknown; columns?: Array<{ name: string; type: number }> };
    return {
      rows: [...result],
      count: result.count,
      command: result.command,
      columns: result.columns?.map(({ name, type }) => ({ name, type })),
    };
  }
  return value;
}

async function outcome(run: () => unknown): Promise<unknown> {
  try {
    return { resolved: observable(await run()) };
  } catch (error) {
    return { rejected: observable(error) };
  }
}

describe('an instrumented postgres.js client behaves exactly as the bare one', () => {
  const schema = uniqueSchemaName();
  let collector: Collector;
  let receiver: OtlpReceiver;
  let bare: Sql;
  let unwrapped: Sql;
  let wrapped: Sql;

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
    bare = postgres(DATABASE_URL, { max: 2, onnotice: () => {} });
    unwrapped = postgres(DATABASE_URL, { max: 2, onnotice: () => {} });
    wrapped = instrumentPostgres(collector, unwrapped, { database: 'side' });
    await bare.unsafe(`create schema "${schema}"`);
    await bare.unsafe(`create table "${schema}".items (id int primary key, name text not null)`);
  });

  afterAll(async () => {
    await bare.unsafe(`drop schema if exists "${schema}" cascade`);
    await bare.end();
    await wrapped.end();
    await collector.shutdown();
    await receiver.stop();
  });

  /** Runs the same work on both clients, one after the other, and expects the same outcome. */
  async function same(work: (sql: Sql) => unknown): Promise<unknown> {
    const expected = await outcome(() => work(bare));
    const actual = await outcome(() => work(wrapped));
    expect(actual).toEqual(expected);
    return actual;
  }

  it('returns the same results: tagged templates, helpers, unsafe, .values(), .raw(), describe()', async () => {
    await same((sql) => sql`select ${1}::int as one, ${'two'} as two, now() - now() as zero`);
    await same((sql) => sql`select * from ${sql(schema)}.items where id = any(${sql.array([1, 2])})`);
    await same((sql) => sql.unsafe('select $1::int + 1 as n, $2::text as t', [41, 'x']));
    await same((sql) => sql.unsafe('select 1 as a, 2 as b; select 3 as c'));
    await same((sql) => sql`select 1 as a, 'b' as b`.values());
    await same((sql) => sql.unsafe('select 7 as n', []).values());
    await same((sql) => sql`select 'raw' as r`.raw());
    await same(async (sql) => {
      const statement = await sql`select id, name from ${sql(schema)}.items where id = ${1}`.describe();
      return { string: statement.string, types: statement.types, columns: statement.columns.map(({ name, type }) => ({ name, type })) };
    });
    expect(Array.isArray(await wrapped`select 1 as x`)).toBe(true);
  });

  it('writes the same rows and sees the same transactions, savepoints and arrays of queries', async () => {
    for (const [sql, offset] of [
      [bare, 0],
      [wrapped, 100],
    ] as const) {
      await sql`insert into ${sql(schema)}.items ${sql([
        { id: offset + 1, name: 'a' },
        { id: offset + 2, name: 'b' },
      ])}`;
      await sql.begin(async (tx) => {
        await tx`update ${sql(schema)}.items set name = 'c' where id = ${offset + 1}`;
        await tx
          .savepoint(async (sp) => {
            await sp`delete from ${sql(schema)}.items where id = ${offset + 2}`;
            throw new Error('undo the delete');
          })
          .catch(() => {});
      });
    }
    await same((sql) =>
      sql`select id - (case when id > 100 then 100 else 0 end) as id, name from ${sql(schema)}.items order by id`.then((rows) =>
        rows.filter((row) => row.id < 3),
      ),
    );
    await same((sql) => sql.begin((tx) => [tx`select 1 as a`, tx`select 2 as b`]));
    await same((sql) => sql.begin('read only', (tx) => tx`select current_setting('transaction_read_only') as ro`));
    await same((sql) => sql.begin(async (tx) => tx.savepoint('named', (sp) => sp`select 'in savepoint' as s`)));
  });

  it('iterates cursors and forEach the same way, each counted once when it ends', async () => {
    await collector.flush();
    receiver.clear();
    await same(async (sql) => {
      const batches: unknown[] = [];
      for await (const rows of sql`select generate_series(1, 7) as n`.cursor(3)) batches.push(rows.map((row) => row.n));
      return batches;
    });
    await same(async (sql) => {
      const batches: unknown[] = [];
      for await (const rows of sql`select generate_series(1, 10) as n`.cursor(4)) {
        batches.push(rows.length);
        if (batches.length === 2) break;
      }
      return batches;
    });
    await same(async (sql) => {
      const batches: number[] = [];
      await sql`select generate_series(1, 5) as n`.cursor(2, (rows) => {
        batches.push(rows.length);
      });
      return batches;
    });
    await same(async (sql) => {
      const seen: number[] = [];
      const result = await sql`select generate_series(1, 4) as n`.forEach((row) => {
        seen.push(row.n as number);
      });
      return { seen, count: result.count };
    });
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'db_queries_total')).toEqual({ 'query_type=SELECT,success=true,tenant_id=system': 4 });
    receiver.clear();
    // Every cursor gave its connection back (an iterator installs new settlers per batch; the last one was seen).
    await wrapped`select 1`;
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'db_connections_active')).toEqual({ 'database=side': 1 });
  });

  it('rejects with the same errors: server errors, client-side errors, a failing cursor', async () => {
    await same((sql) => sql`select * from missing_table_for_side_by_side`);
    await same((sql) => sql`selec 1`);
    await same((sql) => sql`select 1/0`);
    await same((sql) => sql`insert into ${sql(schema)}.items values (1, 'duplicate')`);
    await same((sql) => sql`select ${undefined as unknown as number} as missing`);
    await same(async (sql) => {
      for await (const rows of sql`select 1/(3 - generate_series(1, 5)) as n`.cursor(1)) void rows;
    });
    await same((sql) =>
      sql.begin(async (tx) => {
        await tx`select * from nowhere_at_all`;
      }),
    );
    const error = await wrapped`select * from missing_table_for_side_by_side`.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(wrapped.PostgresError);
  });

  it('runs file() queries the same way, and counts one whose file cannot be read', async () => {
    await collector.flush();
    receiver.clear();
    const directory = mkdtempSync(join(tmpdir(), 'ringmeter-'));
    const file = join(directory, 'answer.sql');
    writeFileSync(file, 'select 42 as answer from generate_series(1, 2)');
    await same((sql) => sql.file(file));
    await same((sql) => sql.file(join(directory, 'missing.sql')));
    rmSync(directory, { recursive: true });
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'db_queries_total')).toEqual({
      'query_type=SELECT,success=true,tenant_id=system': 1,
      'query_type=OTHER,success=false,tenant_id=system': 1,
    });
    expect(valuesByLabels(receiver.points, 'db_query_duration_seconds')).toEqual({
      'query_type=SELECT,table=generate_series,tenant_id=system': 1,
      'query_type=OTHER,table=,tenant_id=system': 1,
    });
  });

  it('stays lazy: a query never awaited is never sent and never counted', async () => {
    await collector.flush();
    receiver.clear();
    const written = collector.stats().ring.written;
    const pending = wrapped`insert into ${wrapped(schema)}.items values (500, 'lazy')`;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await bare`select count(*)::int as n from ${bare(schema)}.items where id = 500`).toEqual([{ n: 0 }]);
    expect(collector.stats().ring.written).toBe(written);

    // Awaited at last, it runs then, and only then is counted.
    await pending;
    expect(await bare`select count(*)::int as n from ${bare(schema)}.items where id = 500`).toEqual([{ n: 1 }]);
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'db_queries_total')).toEqual({ 'query_type=INSERT,success=true,tenant_id=system': 1 });
  });

  it("passes the client's own members through and ends like the bare client", async () => {
    await collector.flush();
    receiver.clear();
    expect(wrapped.options).toBe(unwrapped.options);
    expect(wrapped.parameters).toBe(unwrapped.parameters);
    expect(wrapped.PostgresError).toBe(bare.PostgresError);
    expect(typeof wrapped.end).toBe('function');
    expect(wrapped.unsafe).toBe(wrapped.unsafe);

    const other = postgres(DATABASE_URL, { max: 1 });
    const otherWrapped = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 1 }));
    await Promise.all([other`select 1`, otherWrapped`select 1`]);
    await expect(otherWrapped.end()).resolves.toEqual(await other.end());
    const afterEnd = async (sql: Sql) => outcome(() => sql`select 1`);
    expect(await afterEnd(otherWrapped)).toEqual(await afterEnd(other));
    await collector.flush();
    // The query refused after end() was handed to postgres.js, so it counts, as a failure without a SQLSTATE.
    expect(valuesByLabels(receiver.points, 'db_queries_total')).toEqual({
      'query_type=SELECT,success=true,tenant_id=system': 1,
      'query_type=SELECT,success=false,tenant_id=system': 1,
    });
  });
});
