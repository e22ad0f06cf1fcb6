import { describe, expect, it } from 'vitest';
import { METRICS } from '../dist/src/contract/metrics.js';
import { OVERFLOW_ID, TENANT_ID_BASE } from '../dist/src/contract/strings-layout.js';
import { LogSketch } from '../dist/src/sketch/log-sketch.js';
import { CounterStore } from '../dist/workers/aggregation/counter-store.js';
import { MemoryBudget } from '../dist/workers/memory-budget.js';
import { Collection } from '../dist/workers/export/collection.js';
import { CumulativeTotals } from '../dist/workers/export/cumulative-totals.js';
import { TenantAdmission } from '../dist/workers/tenants/tenant-admission.js';
import { RETENTION_MILLIS, retentionHarness, until } from './support/retention-harness.js';

const NOW = 1_700_000_000_000;
const tenant = (slot: number) => TENANT_ID_BASE + slot;

describe('what the worker does at its memory bound', () => {
  it('admits a new tenant while the budget holds its state, folds the next into __overflow__, and retries it once memory is given back', () => {
    const budget = new MemoryBudget(3_000);
    const admitted: number[] = [];
    // Each tenant's state costs 1,000 bytes here.
    const admission = new TenantAdmission(8, budget, (id) => {
      if (!budget.tryReserve(1_000)) return false;
      admitted.push(id);
      return true;
    });
    expect([0, 1, 2].map((slot) => admission.tenantOf(slot, tenant(slot), NOW))).toEqual([tenant(0), tenant(1), tenant(2)]);
    // The fourth does not fit: folded, and its records are __overflow__'s (one decision, then one comparison each).
    expect(admission.tenantOf(3, tenant(3), NOW)).toBe(OVERFLOW_ID);
    expect(admission.tenantOf(3, tenant(3), NOW)).toBe(OVERFLOW_ID);
    expect(admission.tenantOf(0, tenant(0), NOW)).toBe(tenant(0));
    expect(admission).toMatchObject({ admitted: 3, folded: 1, foldedTotal: 1, foldedRecords: 2 });
    expect(admission.isAdmitted(tenant(3))).toBe(false);
    expect(admission.isAdmitted(OVERFLOW_ID)).toBe(true);

    // Retention forgets tenant 1 and gives its memory back: tenant 3 is decided again at its next record.
    admission.forget([tenant(1)]);
    budget.release(1_000);
    expect(admission.tenantOf(3, tenant(3), NOW)).toBe(tenant(3));
    expect(admission).toMatchObject({ admitted: 3, folded: 0, foldedTotal: 1, foldedRecords: 2 });
    expect(admitted).toEqual([tenant(0), tenant(1), tenant(2), tenant(3)]);
    // A forgotten tenant that returns is decided afresh (and folded: the budget is full again).
    expect(admission.tenantOf(1, tenant(1), NOW)).toBe(OVERFLOW_ID);
    expect(admission).toMatchObject({ admitted: 3, folded: 1, foldedTotal: 2, foldedRecords: 3 });
  });

  it('keeps the headroom for those admitted: a tenant is refused before the budget is full, their series still fit', () => {
    const budget = new MemoryBudget(10_000);
    expect(budget.tryReserve(6_000, 2_000)).toBe(true);
    expect(budget.tryReserve(2_500, 2_000)).toBe(false);
    expect(budget.tryReserve(2_500)).toBe(true);
    expect(budget.used).toBe(8_500);
  });

  it("folds a series a tenant-keyed store cannot add into __overflow__'s with the same labels, and only then into series 0", () => {
    // A request counter keyed (tag, route, tenant) whose budget holds its first 64 series and no more.
    const budget = new MemoryBudget(64 * 28 + 128 * 4);
    const requests = new CounterStore(3, 1_000, budget, NOW).foldTenants(2);
    const own = Array.from({ length: 62 }, (_, t) => requests.seriesOf(200, 7, tenant(t), NOW));
    const overflowRoute7 = requests.seriesOf(200, 7, OVERFLOW_ID, NOW);
    expect(new Set([...own, overflowRoute7]).size).toBe(63);
    expect(budget.used).toBe(64 * 28 + 128 * 4);

    // Tenant 62's series does not fit: its records go to __overflow__'s series of route 7, status 200.
    expect(requests.seriesOf(200, 7, tenant(62), NOW)).toBe(overflowRoute7);
    expect(requests.seriesOf(200, 7, tenant(63), NOW)).toBe(overflowRoute7);
    expect(requests.keys.slice(overflowRoute7 * 3, overflowRoute7 * 3 + 3)).toEqual(new Uint32Array([200, 7, OVERFLOW_ID]));
    // Route 8 has no __overflow__ series and none can be added: the store's overflow series.
    expect(requests.seriesOf(200, 8, tenant(62), NOW)).toBe(0);
    expect({ folded: requests.folded, overflowed: requests.overflowed, size: requests.size }).toEqual({
      folded: 2,
      overflowed: 1,
      size: 63,
    });
  });

  it('counts every value of a sketch whose growth the budget refuses, in its edge buckets', () => {
    const asked: [number, number][] = [];
    const sketch = new LogSketch(8, (from, to) => {
      asked.push([from, to]);
      return false;
    });
    for (const seconds of [0.01, 0.0101, 0.0102, 1, 100, 0.000001]) sketch.add(seconds);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every(([from]) => from === 8)).toBe(true);
    expect(sketch.count).toBe(6);
    expect(sketch.sum).toBeCloseTo(101.030301, 9);
    expect([sketch.min, sketch.max]).toEqual([0.000001, 100]);
    const snapshot = sketch.snapshot();
    expect(snapshot.counts).toHaveLength(8);
    expect(snapshot.counts.reduce((sum, count) => sum + count, 0)).toBe(6);
  });

  it("adds a GET /metrics total the budget refuses to its metric's overflow cell, exactly, and gives a forgotten tenant's cells back", () => {
    const budget = new MemoryBudget(1 << 20);
    const totals = new CumulativeTotals(budget.totals);
    const batch = (tenants: string[]) => {
      const collection = new Collection(Number.MAX_SAFE_INTEGER, NOW);
      for (const id of tenants)
        collection.add(METRICS.httpRequests, { method: 'GET', route: '/a', status_code: 200, tenant_id: id }, NOW, 5);
      return collection.batches[0];
    };
    totals.absorb(batch(['a', 'b']));
    const twoCells = budget.totalsUsed;
    expect(twoCells).toBeGreaterThan(0);
    // The rest of the budget is taken: c and d's totals go to the overflow cell, charged whatever (one per metric).
    budget.charge(budget.limitBytes - budget.used);
    totals.absorb(batch(['c', 'd', 'c']));
    const families = totals.openRender([], '').step(Number.POSITIVE_INFINITY) ?? [];
    const samples = families.find((family) => family.name === 'http_requests_total')?.samples ?? [];
    const text = samples.map((chunk) => new TextDecoder().decode(chunk)).join('');
    expect(text.split('\n').filter(Boolean).sort()).toEqual([
      'http_requests_total{method="GET",route="/a",status_code="200",tenant_id="a"} 5',
      'http_requests_total{method="GET",route="/a",status_code="200",tenant_id="b"} 5',
      'http_requests_total{otel_metric_overflow="true"} 15',
    ]);
    const beforeForget = budget.totalsUsed;
    totals.forgetTenants(['a']);
    // Its cell's key and entries; the columns (16 cells' worth, from the first) stay for reuse.
    expect(beforeForget - budget.totalsUsed).toBe((twoCells - 16 * 8) / 2);
    expect(budget.releases).toBe(1);
  });

  it('forgets folded tenants with the others at retention; the tenants taking their slots are decided afresh, into the memory given back', async () => {
    // A shard bound of 256 KiB: of 200 tenants with a request each, some dozens get state of their own.
    const h = retentionHarness(200, {}, 256 * 1024);
    const wave = async (name: string) => {
      for (let i = 0; i < 200; i++) h.request(h.tenant(`${name}-${i}`));
      await h.exportNow();
      const requests = (await h.totalsByTenant('http_requests_total')).http_requests_total;
      return { admitted: h.header.tenantsAdmitted, folded: h.header.tenantsFolded, requests };
    };
    const first = await wave('wave1');
    expect(first.admitted).toBeGreaterThan(0);
    expect(first.admitted + first.folded).toBe(200);
    expect(first.requests.size).toBe(first.admitted + 1);
    expect(first.requests.get('__overflow__')).toBe(first.folded);
    const heldAfterFirst = h.header.seriesBytes;

    // Past the retention every tenant is forgotten, folded ones included, and every slot freed.
    await h.clock.advance(RETENTION_MILLIS);
    await h.exportNow();
    await until(() => h.slots.held === 0, 'the first wave to be freed');
    expect(h.seen.forgotten).toBe(200);
    expect([h.header.tenantsAdmitted, h.header.tenantsFolded]).toEqual([0, 0]);

    // A new wave in the same slots, decided afresh, in the memory the first gave back: about as many get state of
    // their own (the stores keep the capacity the first wave grew them to, charged, which the second reuses), and the
    // worker holds no more than after the first.
    const second = await wave('wave2');
    expect(second.admitted).toBeGreaterThanOrEqual(first.admitted - 2);
    expect(second.admitted).toBeLessThanOrEqual(first.admitted);
    expect(second.admitted + second.folded).toBe(200);
    expect(second.requests.size).toBe(second.admitted + 1);
    expect([...second.requests.keys()].filter((tenant) => tenant.startsWith('wave1-'))).toEqual([]);
    expect(second.requests.get('__overflow__')).toBe(first.folded + second.folded);
    expect(h.header.seriesBytes).toBeLessThanOrEqual(heldAfterFirst);
    h.close();
  });
});
