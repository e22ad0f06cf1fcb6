import { describe, expect, it } from 'vitest';
import type { HistogramStore } from '../dist/workers/aggregation/histogram-store.js';
import { HttpAggregator } from '../dist/workers/aggregation/http-aggregator.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';
import { Dictionary } from '../dist/workers/dictionary.js';
import { HEADER_BYTES } from '../dist/src/contract/ring-layout.js';
import { KIND_HTTP, tag } from '../dist/src/contract/codes.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';
import { StringTableWriter } from '../dist/src/strings/string-table.js';

const NOW = 1_700_000_000_000;

function setup() {
  const table = new StringTableWriter(100, 10_000);
  const tenant = table.append('acme');
  const endpoint = table.append('/orders/:id\u001fapi');
  const aggregator = new HttpAggregator(new Dictionary(table.buffer, 100), {
    maxSeries: 1_000,
    budget: new MemoryBudget(1 << 24),
    nowMillis: NOW,
    idleMillis: 60_000,
    tenantMetrics: true,
  });
  const ring = new RingWriter(16, 0);
  const words = new Uint32Array(ring.buffer, HEADER_BYTES);
  const floats = new Float64Array(ring.buffer, HEADER_BYTES);
  let slot = 0;
  const record = (status: number, seconds: number) => {
    ring.writeWithByteCounts(tag(KIND_HTTP, 1, status), endpoint, tenant, seconds, 10, 20);
    aggregator.consume(words, floats, slot++ & 15, NOW, tenant);
  };
  return { aggregator, record, tenant };
}

describe('HttpAggregator linked series', () => {
  it("re-resolves a request series' links once a linked series was removed, so no record lands in a freed slot", () => {
    const { aggregator, record, tenant } = setup();
    // Duration series key: (kind | method << 8, worker-local route id, tenant string id).
    record(200, 0.01);
    record(200, 0.02);
    // Explicit buckets (the default aggregation).
    const durations = aggregator.durations as HistogramStore;
    const first = durations.seriesOf(1 | (1 << 8), 0, tenant, NOW);
    expect(durations.deltaCount(first)).toBe(2);
    // The duration series goes (as an idle series would), its number is reused by another key…
    durations.commit(first, durations.deltaBuckets(first), durations.deltaSum(first));
    durations.takeExtremes(first);
    durations.remove(first);
    const other = durations.seriesOf(99, 99, 99, NOW);
    expect(other).toBe(first);
    // …and the request series, still holding its link, must not write into it.
    record(200, 0.03);
    expect(durations.deltaCount(other)).toBe(0);
    const again = durations.seriesOf(1 | (1 << 8), 0, tenant, NOW);
    expect(again).not.toBe(other);
    expect(durations.deltaCount(again)).toBe(1);
    expect(durations.deltaSum(again)).toBeCloseTo(0.03, 12);
  });
});
