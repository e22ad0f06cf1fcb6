import { spawnSync } from 'node:child_process';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { instrumentPostgres } from 'ringmeter/postgres';
import { internals } from 'ringmeter/internal';
import { DATABASE_URL, uniqueSchemaName } from './support/database.js';
import { startPipeline, valuesByLabels } from './support/harness.js';

/** C0, DEL and C1 control characters: none may reach a label value, in Prometheus text or in OTLP. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach a label.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const promtool = spawnSync('promtool', ['--version']).status === 0;

/** The duration histogram's series as `query_type,table,tenant → count`, from a Prometheus text. */
function durationCounts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('db_query_duration_seconds_count{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((match) => [match[1], match[2]]));
    counts[`${labels.query_type},${labels.table},${labels.tenant_id}`] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

/** Every line of the text is a comment, empty, or a sample: no raw control character split or forged one. */
function expectCleanExposition(text: string): void {
  expect(text.split('\n').join('')).not.toMatch(CONTROL);
  expect(text).not.toContain('\nforged_metric_total');
  if (!promtool) {
    console.warn('\n*** label-control-characters.test.ts: promtool not installed, `promtool check metrics` skipped ***\n');
    return;
  }
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(`${check.stdout}${check.stderr}`).toBe('');
  expect(check.status).toBe(0);
}

describe('control characters in labels the worker derives', () => {
  it('a table name from a quoted identifier (CR, LF, NUL, NEL) is `invalid`, in OTLP and in Prometheus text', async () => {
    const { collector, receiver } = await startPipeline();
    try {
      const forged = [
        'select * from "tblcr\rforged_metric_total 1"',
        'select * from "tbllf\nforged_metric_total 1"',
        'select * from "tblnul\u0000x"',
        'select * from app."tblnel\u0085x"',
        'delete from "tbl\u007fdel"',
        'insert into "c1\u009bx" values (1)',
      ];
      for (const sql of forged) collector.recordQuery({ sql, tenantId: 'acme', durationSeconds: 0.01 });
      // Characters that are not control characters stay as they are.
      collector.recordQuery({ sql: 'select * from "Orders ünïcode"', tenantId: 'acme', durationSeconds: 0.01 });
      await collector.flush();
      expect(valuesByLabels(receiver.points, 'db_query_duration_seconds')).toEqual({
        'query_type=SELECT,table=invalid,tenant_id=acme': 4,
        'query_type=DELETE,table=invalid,tenant_id=acme': 1,
        'query_type=INSERT,table=invalid,tenant_id=acme': 1,
        'query_type=SELECT,table=Orders ünïcode,tenant_id=acme': 1,
      });
      for (const point of receiver.points) {
        for (const value of Object.values(point.attributes)) if (typeof value === 'string') expect(value).not.toMatch(CONTROL);
      }
      const text = await internals(collector).reads.renderMetrics('prometheus', 5_000);
      expect(durationCounts(text)).toEqual({
        'SELECT,invalid,acme': 4,
        'DELETE,invalid,acme': 1,
        'INSERT,invalid,acme': 1,
        'SELECT,Orders ünïcode,acme': 1,
      });
      expectCleanExposition(text);
      // The tenant analytics name tables by the same classification.
      const [shard] = await internals(collector).reads.analytics({ all: true }, 5_000);
      expect(shard.tenants[0].tables.map((table) => `${table.queryType} ${table.table} ${table.queries}`).sort()).toEqual([
        'DELETE invalid 1',
        'INSERT invalid 1',
        'SELECT Orders ünïcode 1',
        'SELECT invalid 4',
      ]);
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('through the real postgres.js hook: tables named with CR, LF and NEL exist, are queried, and are labelled `invalid`', async () => {
    const { collector, receiver } = await startPipeline();
    const schema = uniqueSchemaName();
    const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 1, onnotice: () => {} }), {
      database: 'test',
      tenant: () => 'acme',
    });
    const names = ['tblcr\rforged_metric_total 1', 'tbllf\nforged_metric_total 1', 'tblnel\u0085x'];
    try {
      await admin.unsafe(`create schema "${schema}"`);
      for (const name of names) await admin.unsafe(`create table "${schema}"."${name}" (id int)`);
      for (const name of names) {
        await sql.unsafe(`insert into "${schema}"."${name}" values (1)`);
        expect(await sql.unsafe(`select id from "${schema}"."${name}"`)).toEqual([{ id: 1 }]);
      }
      await collector.flush();
      expect(valuesByLabels(receiver.points, 'db_query_duration_seconds')).toEqual({
        'query_type=INSERT,table=invalid,tenant_id=acme': 3,
        'query_type=SELECT,table=invalid,tenant_id=acme': 3,
      });
      const text = await internals(collector).reads.renderMetrics('prometheus', 5_000);
      expect(durationCounts(text)).toEqual({ 'INSERT,invalid,acme': 3, 'SELECT,invalid,acme': 3 });
      expectCleanExposition(text);
      const openMetrics = await internals(collector).reads.renderMetrics('openmetrics', 5_000);
      expect(openMetrics.split('\n').join('')).not.toMatch(CONTROL);
    } finally {
      await admin.unsafe(`drop schema if exists "${schema}" cascade`);
      await admin.end();
      await sql.end();
      await collector.shutdown();
      await receiver.stop();
    }
  });
});
