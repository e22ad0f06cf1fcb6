import { describe, expect, it } from 'vitest';
import { RETENTION_MILLIS, retentionHarness, until } from './support/retention-harness.js';

describe('tenant retention through the interner, the string table, the ring and a shard (simulated time)', () => {
  it('a tenant back before the arbitration keeps its slot; an id used after its retirement is forgotten again before its slot is reused', async () => {
    let staleWrite: (() => void) | undefined;
    const h = retentionHarness(4, { afterRetire: () => staleWrite?.() });
    const requests = async () => (await h.totalsByTenant('http_requests_total')).http_requests_total;
    const a = h.tenant('a');
    const b = h.tenant('b');
    const c = h.tenant('c');
    for (const id of [a, b, c]) h.request(id);
    await h.exportNow();
    expect(Object.fromEntries(await requests())).toEqual({ a: 1, b: 1, c: 1 });

    await h.clock.advance(RETENTION_MILLIS);
    // A request in flight resolved c's id before c was retired and records after: it writes the old id.
    staleWrite = () => {
      staleWrite = undefined;
      h.request(c);
    };
    await h.exportNow();
    // The worker has proposed a, b and c; its message is not handled yet. a comes back in between.
    h.request(a);
    await until(() => h.seen.forgotten === 1, 'b to be forgotten');
    expect(h.seen.idle).toBe(3);
    // a kept its slot; b is gone; c's late record counts for c, under its own label, and holds c back.
    expect(Object.fromEntries(await requests())).toEqual({ a: 2, c: 2 });
    expect(h.tenant('a')).toBe(a);
    const d = h.tenant('d');
    expect(d).not.toBe(c);
    h.request(d);

    // The export settles c's late record; the worker forgets c and reports it. Its stamp lies after its fence,
    // so the slot is retired once more and the worker asked again before the slot is freed.
    await h.exportNow();
    await until(() => h.handshake.inHandshake === 0, "c's slot to be freed");
    expect(h.seen.forgotten).toBe(3);
    const e = h.tenant('e');
    // The only free slot is c's: a new tenant takes it, and nothing of c comes with it.
    expect(e).toBe(c);
    h.request(e);
    await h.exportNow();
    expect(Object.fromEntries(await requests())).toEqual({ a: 2, d: 1, e: 1 });
    h.close();
  });
});
