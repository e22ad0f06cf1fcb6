import { describe, expect, it } from 'vitest';
import { KIND_RUNTIME, RUNTIME_EVENT_LOOP_DELAY_P99, tag } from '../dist/src/contract/codes.js';
import { HEADER_BYTES } from '../dist/src/contract/ring-layout.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';
import { RuntimeAggregator } from '../dist/workers/aggregation/runtime-aggregator.js';
import { Collection } from '../dist/workers/export/collection.js';

const NOW = 1_700_000_000_000;

function setup() {
  const aggregator = new RuntimeAggregator(16, new MemoryBudget(1 << 20), NOW, 60_000);
  const ring = new RingWriter(16, 0);
  const words = new Uint32Array(ring.buffer, HEADER_BYTES);
  const floats = new Float64Array(ring.buffer, HEADER_BYTES);
  let slot = 0;
  const delayP99 = (seconds: number) => {
    ring.write(tag(KIND_RUNTIME, RUNTIME_EVENT_LOOP_DELAY_P99, 0), 0, 0, 0, seconds, 0, 0);
    aggregator.consume(words, floats, slot++ & 15, NOW);
  };
  /** Collects one export; returns the p99 it carries and the batch to commit (accept) it with. */
  const collect = () => {
    const collection = new Collection(1_000, NOW);
    aggregator.collect(collection);
    const points = collection.batches.flatMap((batch) =>
      [...batch.points].filter(([definition]) => definition.name === 'app_event_loop_delay_seconds').flatMap(([, p]) => p),
    );
    const p99 = points.find((point) => point.attributes.quantile === '0.99')?.value;
    const commit = () => {
      for (const batch of collection.batches) batch.commit();
    };
    return { p99, commit };
  };
  return { delayP99, collect };
}

describe('RuntimeAggregator event-loop delay', () => {
  it('exports the worst sample of each interval, not the last one', () => {
    const { delayP99, collect } = setup();
    for (const seconds of [0.01, 0.12, 0.02]) delayP99(seconds);
    const first = collect();
    expect(first.p99).toBe(0.12);
    first.commit();
    delayP99(0.03);
    expect(collect().p99).toBe(0.03);
  });

  it('keeps a stall sampled while an export is in flight for the next export', () => {
    const { delayP99, collect } = setup();
    delayP99(0.01);
    const running = collect();
    expect(running.p99).toBe(0.01);
    // Sampled after that export collected, before the backend accepted it.
    delayP99(0.12);
    running.commit();
    delayP99(0.02);
    expect(collect().p99).toBe(0.12);
  });
});
