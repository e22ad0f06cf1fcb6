import { describe, expect, it } from 'vitest';
import { KIND_HTTP, KIND_QUERY, KIND_TRANSACTION, tag } from '../dist/src/contract/codes.js';
import * as layout from '../dist/src/contract/fold-layout.js';
import { DB_DURATION_BOUNDARIES, HTTP_DURATION_BOUNDARIES, SIZE_BOUNDARIES } from '../dist/src/contract/metrics.js';
import { A, AUX, B, KEY, TAG, TENANT, VALUE_FLOAT } from '../dist/src/contract/ring-layout.js';
import { FoldBlock } from '../dist/src/ring/fold-block.js';
import { FoldMerge } from '../dist/workers/fold-merge.js';

interface Replayed {
  tag: number;
  key: number;
  tenant: number;
  aux: number;
  a: number;
  b: number;
  value: number;
}

/** Merges a block the way the worker does and returns the records its sink saw. */
function replay(block: FoldBlock): Replayed[] {
  const seen: Replayed[] = [];
  const refused = new FoldMerge().merge(
    block.buffer,
    block.entries,
    (words, floats, slot) => {
      const at = slot * 8;
      seen.push({
        tag: words[at + TAG],
        key: words[at + KEY],
        tenant: words[at + TENANT],
        aux: words[at + AUX],
        a: words[at + A],
        b: words[at + B],
        value: floats[slot * 4 + VALUE_FLOAT],
      });
      return true;
    },
    0,
  );
  expect(refused).toBe(0);
  return seen;
}

function histogram(boundaries: readonly number[], values: number[]) {
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  for (const value of values) counts[layout.bucketOf(boundaries, value)]++;
  return { counts, min: Math.min(...values), max: Math.max(...values), sum: values.reduce((s, v) => s + v, 0) };
}

/** A deterministic pseudo-random sequence in [0, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

describe('the fold (main thread) and its merge (worker)', () => {
  it('keeps sum, min and max in the same order for VALUE, A and B (the merge reads them by offset)', () => {
    expect([layout.FOLD_VALUE_MIN - layout.FOLD_VALUE_SUM, layout.FOLD_VALUE_MAX - layout.FOLD_VALUE_SUM]).toEqual([1, 2]);
    expect([layout.FOLD_A_MIN - layout.FOLD_A_SUM, layout.FOLD_A_MAX - layout.FOLD_A_SUM]).toEqual([1, 2]);
    expect([layout.FOLD_B_MIN - layout.FOLD_B_SUM, layout.FOLD_B_MAX - layout.FOLD_B_SUM]).toEqual([1, 2]);
    expect(HTTP_DURATION_BOUNDARIES.length + 1).toBeLessThanOrEqual(layout.FOLD_MAX_VALUE_BUCKETS);
    expect(DB_DURATION_BOUNDARIES.length + 1).toBeLessThanOrEqual(layout.FOLD_MAX_VALUE_BUCKETS);
    expect(layout.FOLD_SIZE_BUCKETS).toBe(SIZE_BOUNDARIES.length + 1);
    expect(layout.FOLD_B_BUCKETS + layout.FOLD_SIZE_BUCKETS).toBeLessThanOrEqual(layout.FOLD_ENTRY_WORDS);
  });

  it('replays each HTTP series with its exact count, bucket counts, byte sums, minimum and maximum', () => {
    const block = new FoldBlock(1_024);
    const next = random(7);
    const expected = new Map<string, { seconds: number[]; request: number[]; response: number[] }>();
    for (let i = 0; i < 20_000; i++) {
      const series = i % 37;
      const recordTag = tag(KIND_HTTP, 1 + (series % 3), series % 2 === 0 ? 200 : 503);
      const key = 100 + series;
      const tenant = 2 ** 30 + (series % 5);
      // Durations across every bucket and on the boundaries themselves; byte counts beyond 32 bits too.
      const seconds = i % 11 === 0 ? HTTP_DURATION_BOUNDARIES[i % HTTP_DURATION_BOUNDARIES.length] : next() * 12;
      const request = i % 13 === 0 ? SIZE_BOUNDARIES[i % SIZE_BOUNDARIES.length] : Math.floor(next() * 2e7);
      const response = i % 101 === 0 ? 2 ** 40 + i : Math.floor(next() * 5_000);
      const high = Math.floor(request / 2 ** 32) | (Math.floor(response / 2 ** 32) << 16);
      expect(block.add(recordTag, key, tenant, high >>> 0, seconds, request % 2 ** 32, response % 2 ** 32, 1_024)).toBe(true);
      const id = `${recordTag} ${key} ${tenant}`;
      const values = expected.get(id) ?? { seconds: [], request: [], response: [] };
      values.seconds.push(seconds);
      values.request.push(request);
      values.response.push(response);
      expected.set(id, values);
    }
    expect(block.entries).toBe(37);
    expect(block.records).toBe(20_000);

    const replayed = new Map<string, { seconds: number[]; request: number[]; response: number[] }>();
    for (const record of replay(block)) {
      const id = `${record.tag} ${record.key} ${record.tenant}`;
      const values = replayed.get(id) ?? { seconds: [], request: [], response: [] };
      values.seconds.push(record.value);
      values.request.push(record.a + (record.aux & 0xffff) * 2 ** 32);
      values.response.push(record.b + (record.aux >>> 16) * 2 ** 32);
      replayed.set(id, values);
    }
    expect([...replayed.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, values] of expected) {
      const got = replayed.get(id)!;
      const seconds = histogram(HTTP_DURATION_BOUNDARIES, got.seconds);
      const want = histogram(HTTP_DURATION_BOUNDARIES, values.seconds);
      expect({ counts: seconds.counts, min: seconds.min, max: seconds.max }).toEqual({ counts: want.counts, min: want.min, max: want.max });
      expect(seconds.sum).toBeCloseTo(want.sum, 9);
      // Byte counts are integers: their sums are exact.
      expect(histogram(SIZE_BOUNDARIES, got.request)).toEqual(histogram(SIZE_BOUNDARIES, values.request));
      expect(histogram(SIZE_BOUNDARIES, got.response)).toEqual(histogram(SIZE_BOUNDARIES, values.response));
      for (const value of got.request) expect(Number.isInteger(value)).toBe(true);
    }
  });

  it('keys other kinds on every word but VALUE, and keeps a query duration exact per bucket', () => {
    const block = new FoldBlock(64);
    const query = tag(KIND_QUERY, 3, 0);
    const durations = [0.0005, 0.001, 0.003, 0.2, 0.2, 11];
    for (const seconds of durations) block.add(query, 40, 5, 9, seconds, 2, 10, 64);
    block.add(query, 40, 5, 9, 0.004, 3, 10, 64);
    block.add(tag(KIND_TRANSACTION, 1, 0), 0, 5, 9, 0, 0, 0, 64);
    expect(block.entries).toBe(3);
    const records = replay(block);
    const first = records.filter((r) => r.tag === query && r.a === 2);
    expect(first.map((r) => [r.key, r.tenant, r.aux, r.b])).toEqual(durations.map(() => [40, 5, 9, 10]));
    expect(
      histogram(
        DB_DURATION_BOUNDARIES,
        first.map((r) => r.value),
      ),
    ).toMatchObject({
      counts: histogram(DB_DURATION_BOUNDARIES, durations).counts,
      min: 0.0005,
      max: 11,
    });
    expect(records.filter((r) => r.tag === query && r.a === 3).map((r) => r.value)).toEqual([0.004]);
    expect(records.filter((r) => r.tag === tag(KIND_TRANSACTION, 1, 0))).toHaveLength(1);
  });

  it("replays a query's pool gauges in the order of their last records, so the pool limit left is the last one", () => {
    const block = new FoldBlock(64);
    const query = tag(KIND_QUERY, 3, 0);
    const http = tag(KIND_HTTP, 1, 200);
    // Database 9: the pool limit goes 10 → 20 → 10 (active 2, 3, 2). Entries are made in first-record order, so
    // entry order would end on limit 20; the last query had limit 10.
    block.add(query, 40, 5, 9, 0.001, 2, 10, 64);
    block.add(http, 1, 5, 0, 0.1, 0, 0, 64);
    block.add(query, 40, 5, 9, 0.002, 3, 20, 64);
    block.add(query, 40, 5, 9, 0.003, 2, 10, 64);
    block.add(http, 1, 5, 0, 0.2, 0, 0, 64);
    expect(block.entries).toBe(3);
    const records = replay(block);
    expect(records.map((r) => (r.tag === query ? `query limit ${r.b} active ${r.a}` : 'http'))).toEqual([
      'http',
      'http',
      'query limit 20 active 3',
      'query limit 10 active 2',
      'query limit 10 active 2',
    ]);
  });

  it('makes no entry past its limit, and says so; an existing series still folds', () => {
    const block = new FoldBlock(64);
    const http = tag(KIND_HTTP, 1, 200);
    expect(block.add(http, 1, 5, 0, 0.1, 0, 0, 1)).toBe(true);
    expect(block.add(http, 2, 5, 0, 0.1, 0, 0, 1)).toBe(false);
    expect(block.add(http, 1, 5, 0, 0.3, 0, 0, 1)).toBe(true);
    expect(block).toMatchObject({ entries: 1, records: 2 });
  });
});
