import { describe, expect, it } from 'vitest';
import { classifySql } from '../dist/workers/labels/sql-classifier.js';

describe('classifySql', () => {
  const cases: Array<[string, string, string]> = [
    ['select "id", "name" from "users" where "users"."id" = $1', 'SELECT', 'users'],
    ['SELECT count(*) FROM orders', 'SELECT', 'orders'],
    ['select (select max(id) from b) as m from a where x in (select y from z)', 'SELECT', 'a'],
    ['select 1', 'SELECT', ''],
    ['select * from (select 1) as sub', 'SELECT', ''],
    ['insert into "orders" ("id", "tenant_id") values ($1, $2) returning "id"', 'INSERT', 'orders'],
    ['INSERT INTO public.audit_log VALUES (1)', 'INSERT', 'audit_log'],
    ['update "users" set "name" = $1 where "id" = $2', 'UPDATE', 'users'],
    ['UPDATE ONLY "Mixed Case" SET a = 1', 'UPDATE', 'Mixed Case'],
    ['delete from "orders" where "id" = $1', 'DELETE', 'orders'],
    ['  -- leading comment\n /* block */ DELETE FROM sessions', 'DELETE', 'sessions'],
    ['with recent as (select * from orders where x > 1) delete from archive where id in (select id from recent)', 'DELETE', 'archive'],
    ['WITH a AS (SELECT 1), b AS (SELECT 2) INSERT INTO t SELECT * FROM a', 'INSERT', 't'],
    ["select 'from fake' as x from real_table", 'SELECT', 'real_table'],
    ['begin', 'OTHER', ''],
    ['CREATE TABLE t (id int)', 'OTHER', ''],
    ['', 'OTHER', ''],
    ['select * from "weird""name"', 'SELECT', 'weird"name'],
  ];
  for (const [sql, queryType, table] of cases) {
    it(`${JSON.stringify(sql)} → ${queryType} ${table || '(no table)'}`, () => {
      expect(classifySql(sql)).toEqual({ queryType, table });
    });
  }

  it('stays linear on a megabyte of SQL', () => {
    const sql = `select ${'a, '.repeat(350_000)}b from big`;
    const started = process.hrtime.bigint();
    expect(classifySql(sql).queryType).toBe('SELECT');
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(5);
  });
});
