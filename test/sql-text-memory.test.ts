import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { LABEL_LIMITS } from 'ringmeter';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { startPipeline, total } from './support/harness.js';

const MiB = 1024 * 1024;
const TEXTS = 200;

function heapUsedAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc (test/vitest.config.ts passes it)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * What the interner may keep for TEXTS distinct texts: each text's kept prefix (LABEL_LIMITS.sql code units, two
 * bytes each at worst) and its Map entry, with room for the rest of the heap's noise. Before the fix the interner
 * kept a slice of each text, which held the whole text alive: 200 MiB for 200 texts of 1 MiB.
 */
const PREFIXES_BOUND_BYTES = TEXTS * LABEL_LIMITS.sql * 2 + 1.5 * MiB;

/** A distinct SQL text of `length` characters: the part that tells it apart comes first, inside the kept prefix. */
function longText(i: number, length: number, from = ' from orders'): string {
  const head = `select ${i} as n${from} /* `;
  return `${head}${'x'.repeat(length - head.length - 3)} */`;
}

describe('long SQL texts', () => {
  it('recordQuery: 200 distinct 1 MiB texts keep their 1,024-character prefixes only, not the texts', async () => {
    const { collector, receiver } = await startPipeline();
    try {
      // Warm up what one query allocates once (the interner's Map, the ring's first pages).
      collector.recordQuery({ sql: 'select 1', tenantId: 'acme', durationSeconds: 0.001 });
      const before = heapUsedAfterGc();
      for (let i = 0; i < TEXTS; i++) collector.recordQuery({ sql: longText(i, MiB), tenantId: 'acme', durationSeconds: 0.001 });
      const growth = heapUsedAfterGc() - before;
      console.log(`recordQuery: ${TEXTS} distinct 1 MiB texts, heap growth after GC ${(growth / MiB).toFixed(2)} MiB`);
      expect(growth).toBeLessThan(PREFIXES_BOUND_BYTES);
      expect(collector.stats().sqlTexts).toEqual({ distinct: TEXTS + 1, max: 1_000 });
      await collector.flush();
      expect(total(receiver.points, 'db_queries_total', { query_type: 'SELECT', tenant_id: 'acme' })).toBe(TEXTS + 1);
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('instrumentPostgres: 200 distinct ~140 KB texts on the real server cost the prefixes beyond what the client itself keeps', async () => {
    const length = 140_000;
    const { collector, receiver } = await startPipeline();
    const plain = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 1, onnotice: () => {} }), { database: 'texts' });
    try {
      // Connect both and warm their paths up with one long text each.
      await plain.unsafe(longText(-1, length, ''));
      await sql.unsafe(longText(-1, length, ''));

      const plainBefore = heapUsedAfterGc();
      for (let i = 0; i < TEXTS; i++) await plain.unsafe(longText(i, length, ''));
      const plainGrowth = heapUsedAfterGc() - plainBefore;

      const before = heapUsedAfterGc();
      for (let i = 0; i < TEXTS; i++) await sql.unsafe(longText(i, length, ''));
      const growth = heapUsedAfterGc() - before;
      console.log(
        `postgres.js, ${TEXTS} distinct ${length}-character texts: heap growth after GC ${(growth / MiB).toFixed(2)} MiB instrumented, ${(plainGrowth / MiB).toFixed(2)} MiB uninstrumented`,
      );
      expect(growth - plainGrowth).toBeLessThan(PREFIXES_BOUND_BYTES);
      await collector.flush();
      expect(total(receiver.points, 'db_queries_total', { query_type: 'SELECT', success: 'true', tenant_id: 'system' })).toBe(TEXTS + 1);
    } finally {
      await plain.end();
      await sql.end();
      await collector.shutdown();
      await receiver.stop();
    }
  });
});
