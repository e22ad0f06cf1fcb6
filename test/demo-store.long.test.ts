import { describe, expect, it } from 'vitest';
import { createTestCollector } from 'ringmeter/internal';
import { openEmbeddedOrders } from '../dist/examples/orders.js';

/**
 * The demo runs for days (`npm start`), and its embedded database lives in the process's memory: every order it
 * generates used to stay there. The store keeps the newest `maxOrders` orders, counted in rows, whatever gaps
 * rolled-back inserts left in the ids.
 */
// PGlite's start (its WebAssembly compiled, a database made) takes seconds of CPU; ~55 s seen under a load average
// of 20: the timeout leaves room for that.
describe("the demo's order store on the embedded database (PGlite)", () => {
  it('keeps exactly the newest maxOrders orders and the stock rows they name, prune after prune', async () => {
    const collector = createTestCollector({ env: {}, exporters: ['none'], metrics: { runtime: false } });
    const orders = await openEmbeddedOrders(collector, 50);
    try {
      expect(orders.maxOrders).toBe(50);
      // Fewer than the bound: nothing to delete.
      const first = await orders.create('acme', 'A-1', 1);
      expect(await orders.prune()).toBe(0);
      expect(await orders.counts()).toEqual({ orders: 1, skus: 1 });

      // 120 orders over three tenants and 30 SKUs, with refused ones (qty 0: the check constraint rolls the
      // transaction back, leaving a gap in the ids) among them.
      const made = [first];
      for (let i = 1; i < 120; i++) {
        if (i % 10 === 0) await expect(orders.create('wonka', 'W-1', 0)).rejects.toThrow();
        made.push(await orders.create(['acme', 'globex', 'initech'][i % 3], `S-${i % 30}`, 1 + (i % 4)));
      }
      expect(await orders.counts()).toEqual({ orders: 120, skus: 31 });
      expect(await orders.prune()).toBe(70);
      // The newest 50, by id: what each tenant still lists is its share of them, newest first (list shows 20).
      const kept = made.slice(-50);
      expect(await orders.counts()).toEqual({ orders: 50, skus: new Set(kept.map((order) => order.sku)).size });
      for (const tenant of ['acme', 'globex', 'initech'])
        expect(await orders.list(tenant)).toEqual(
          kept
            .filter((order) => order.tenant === tenant)
            .reverse()
            .slice(0, 20),
        );
      expect(await orders.get('acme', first.id)).toBeUndefined();

      // More orders, pruned again: the bound holds whatever came in between.
      for (let i = 0; i < 75; i++) made.push(await orders.create('acme', 'B-1', 1));
      expect(await orders.counts()).toEqual({ orders: 125, skus: new Set(kept.map((order) => order.sku)).size + 1 });
      expect(await orders.prune()).toBe(75);
      expect(await orders.counts()).toEqual({ orders: 50, skus: 1 });
      expect(await orders.list('globex')).toEqual([]);
      expect((await orders.list('acme')).map((order) => order.id)).toEqual(
        made
          .slice(-20)
          .map((order) => order.id)
          .reverse(),
      );
    } finally {
      await orders.close();
      await collector.shutdown().catch(() => {});
    }
  }, 240_000);

  it('refuses a bound that is not a positive integer, naming it', async () => {
    const collector = createTestCollector({ env: {}, exporters: ['none'], metrics: { runtime: false } });
    try {
      await expect(openEmbeddedOrders(collector, 0)).rejects.toThrow('maxOrders must be an integer of 1 or more (got 0)');
      await expect(openEmbeddedOrders(collector, 2.5)).rejects.toThrow('maxOrders must be an integer of 1 or more (got 2.5)');
    } finally {
      await collector.shutdown().catch(() => {});
    }
  });
});
