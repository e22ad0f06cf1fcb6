import { describe, expect, it } from 'vitest';
import { CounterStore } from '../dist/workers/aggregation/counter-store.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';
import { SumStore } from '../dist/workers/aggregation/sum-store.js';
import { TenantForgetting } from '../dist/workers/tenant-forgetting.js';
import { TenantSlots } from '../src/strings/tenant-slots.js';

const NOW = 1_700_000_000_000;
const gc = (globalThis as { gc?: () => void }).gc as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

/** A request counter keyed (tag, route, tenant) and a tenant row keyed (tenant, category), as in the worker. */
function stores() {
  const budget = new MemoryBudget(1 << 26);
  const requests = new CounterStore(3, 100_000, budget, NOW);
  const rows = new SumStore(2, 1, 100_000, budget, NOW);
  const forgetting = new TenantForgetting([
    { store: requests, tenantWord: 2 },
    { store: rows, tenantWord: 0 },
  ]);
  return { requests, rows, forgetting };
}

describe("the shard's tenant forget point", () => {
  it('keeps a tenant with unexported data whole, and forgets it once that data is exported', () => {
    const { requests, rows, forgetting } = stores();
    const forgottenElsewhere: number[][] = [];
    forgetting.register((tenants) => forgottenElsewhere.push([...tenants]));
    const exported = requests.seriesOf(7, 1, 10, NOW);
    requests.increment(exported);
    requests.commit(exported, 1);
    const pendingRequest = requests.seriesOf(7, 1, 11, NOW);
    requests.increment(pendingRequest);
    const pendingRow = rows.seriesOf(11, 2, 0, NOW);
    const idleRow = rows.seriesOf(10, 2, 0, NOW);

    expect(forgetting.forget([10, 11])).toEqual({ forgotten: [10], kept: [11] });
    expect(requests.isLive(exported)).toBe(false);
    expect(rows.isLive(idleRow)).toBe(false);
    // Tenant 11 kept whole: its idle tenant row too, not only the pending request series.
    expect(requests.isLive(pendingRequest)).toBe(true);
    expect(rows.isLive(pendingRow)).toBe(true);
    expect(requests.delta(pendingRequest)).toBe(1);
    expect(forgottenElsewhere).toEqual([[10]]);

    requests.commit(pendingRequest, 1);
    expect(forgetting.forget([11])).toEqual({ forgotten: [11], kept: [] });
    expect(requests.size).toBe(0);
    expect(rows.size).toBe(0);
    expect(forgottenElsewhere).toEqual([[10], [11]]);
  });

  it('1,000,000 tenants through 1,000 slots: every record exported once, no overflow, slots and series reused, heap flat', () => {
    const max = 1_000;
    const slots = new TenantSlots(max);
    const { requests, rows, forgetting } = stores();
    let writeIndex = 0;
    let exportedRecords = 0;
    let overflowed = 0;
    const cycle = (wave: number): void => {
      const taken: number[] = [];
      // Main thread: intern the wave's tenants; two records each, stamped as they go into the ring.
      for (let t = wave * max; t < (wave + 1) * max; t++) {
        const slot = slots.acquire(`tenant-${t}`);
        if (slot < 0) {
          overflowed++;
          continue;
        }
        taken.push(slot);
        for (let r = 0; r < 2; r++) slots.stampRing(slot, writeIndex++);
      }
      // Worker: aggregate everything below writeIndex, then export (commit every pending delta).
      for (const slot of taken) {
        const series = requests.seriesOf(1, 2, slot, NOW);
        requests.increment(series);
        requests.increment(series);
        rows.add(rows.seriesOf(slot, 3, 0, NOW), 0, 2);
      }
      const readIndex = writeIndex;
      for (let s = 1; s < requests.end; s++) {
        if (!requests.isLive(s)) continue;
        exportedRecords += requests.delta(s);
        requests.commit(s, requests.delta(s));
      }
      for (let s = 1; s < rows.end; s++) if (rows.isLive(s)) rows.commit(s, 0, rows.delta(s, 0));
      // The retention elapsed: the worker proposes the whole wave, the main thread retires, the worker forgets,
      // the main thread frees once the ring passed the fence.
      const retired = slots.arbitrate({ slots: taken, readIndex, spillSegmentsRead: 0 }, { writeIndex, openSegment: 0 });
      const outcome = forgetting.forget(retired);
      expect(outcome.kept).toEqual([]);
      slots.forgottenByWorker(outcome.forgotten);
      expect(slots.release(0, readIndex, 0, { writeIndex: readIndex, openSegment: 0 }).freed.length).toBe(retired.length);
    };
    cycle(0);
    const before = heapAfterGc();
    for (let wave = 1; wave < 1_000; wave++) cycle(wave);
    const after = heapAfterGc();

    expect(overflowed).toBe(0);
    expect(exportedRecords).toBe(2_000_000);
    expect(requests.overflowed).toBe(0);
    expect(requests.size).toBe(0);
    expect(rows.size).toBe(0);
    expect(requests.end).toBe(max + 1);
    expect(slots.held).toBe(0);
    expect(after - before).toBeLessThan(1_000_000);
  });
});
