import { describe, expect, it } from 'vitest';
import { OVERFLOW_ID, TENANT_ID_BASE } from '../dist/src/contract/strings-layout.js';
import { RETENTION_MILLIS, heapAfterGc, retentionHarness, until } from './support/retention-harness.js';

// The scale half of tenant retention: a million tenants (npm run test:scale, in CI; about 15 s).
describe('tenant retention through the interner, the string table, the ring and a shard (simulated time)', () => {
  it('1,000,000 tenants in waves through maxTenants 1,000: no overflow after expiry, slots reused, every record counted once, heap flat', async () => {
    const max = 1_000;
    const waves = 1_000;
    const h = retentionHarness(max);
    const slotsSeen = new Set<number>();
    let counted = 0;
    let requestsCounted = 0;
    let overflowed = 0;
    let heapAtWave10 = 0;
    for (let wave = 0; wave < waves; wave++) {
      const ids: number[] = [];
      for (let t = wave * max; t < (wave + 1) * max; t++) {
        const id = h.tenant(`tenant-${t}`);
        if (id === OVERFLOW_ID) overflowed++;
        ids.push(id);
        // Two usage records per tenant (one series each, so that an export of 1,000 tenants stays cheap), and a
        // request for one tenant in a hundred, so that the HTTP stores and the tenant profiles come and go too.
        h.usage(id, 1);
        h.usage(id, 2);
        if (t % 100 === 0) h.request(id);
      }
      if (wave === 0) {
        // The cap holds while the first wave is live: one more tenant is __overflow__ (no record written for it).
        expect(h.tenant('one-too-many')).toBe(OVERFLOW_ID);
      }
      for (const id of ids) slotsSeen.add(id - TENANT_ID_BASE);
      await h.exportNow();
      // Exactly this wave's tenants, each once with all of its records: earlier waves left with their totals.
      const { tenant_resource_usage_total: usage, http_requests_total: requests } = await h.totalsByTenant(
        'tenant_resource_usage_total',
        'http_requests_total',
      );
      expect(usage.size).toBe(max);
      for (let t = wave * max; t < (wave + 1) * max; t++) {
        const n = usage.get(`tenant-${t}`);
        if (n !== 3) expect.fail(`tenant-${t} has usage ${n} in wave ${wave}`);
        counted += 2;
      }
      expect(Object.fromEntries(requests)).toEqual(
        Object.fromEntries(Array.from({ length: max / 100 }, (_, i) => [`tenant-${wave * max + i * 100}`, 1])),
      );
      requestsCounted += requests.size;
      // Past the retention, the next export proposes the whole wave; the handshake retires, forgets and frees it.
      await h.clock.advance(RETENTION_MILLIS);
      await h.exportNow();
      await until(() => h.slots.held === 0, `wave ${wave} to be freed`);
      if (wave === 9) heapAtWave10 = heapAfterGc();
    }
    const heapAtEnd = heapAfterGc();
    console.log(
      `tenant retention, 1,000,000 tenants through 1,000 slots: heap + array buffers after gc() ${(heapAtWave10 / 1e6).toFixed(2)} MB after wave 10, ${(heapAtEnd / 1e6).toFixed(2)} MB after wave 1,000 (${((heapAtEnd - heapAtWave10) / 1e3).toFixed(0)} kB apart)`,
    );
    h.close();
    expect(overflowed).toBe(0);
    expect(counted).toBe(2 * max * waves);
    expect(requestsCounted).toBe((max / 100) * waves);
    expect(h.seen).toEqual({ idle: max * waves, forgotten: max * waves });
    expect(slotsSeen.size).toBe(max);
    expect(Math.min(...slotsSeen)).toBe(0);
    expect(Math.max(...slotsSeen)).toBe(max - 1);
    expect(h.slots.live).toBe(0);
    expect(h.handshake.inHandshake).toBe(0);
    // 999 waves after wave 10: a leak of even 10 bytes per tenant on either side would show as 10 MB.
    expect(heapAtEnd - heapAtWave10).toBeLessThan(2_000_000);
  }, 600_000);
});
