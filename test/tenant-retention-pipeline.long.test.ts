import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { internals } from 'ringmeter/internal';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { requestsByTenant, startPipeline } from './support/harness.js';

const RETENTION_MILLIS = 200;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

describe('tenant retention through real workers and the OTLP receiver', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('2,000 tenants through maxTenants 60 on two shards: each gets its own tenant_id, exact totals, a tenant returning mid-handshake never mis-attributed', async () => {
    ({ collector, receiver } = await startPipeline({
      workers: 2,
      maxTenants: 60,
      tenantRetentionMillis: RETENTION_MILLIS,
      otlp: { exportIntervalMillis: 100 },
    }));
    const hooks = internals(collector);
    const expected = new Map<string, number>();
    const request = (tenant: string) => {
      collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, tenantId: tenant, durationSeconds: 0.01 });
      expected.set(tenant, (expected.get(tenant) ?? 0) + 1);
    };
    const waves = 40;
    const perWave = 50;
    let comebackGapMillis = 0;
    let lastComeback = Date.now();
    for (let wave = 0; wave < waves; wave++) {
      for (let i = 0; i < perWave; i++) {
        const t = wave * perWave + i;
        for (let r = 0; r <= t % 3; r++) request(`tenant-${t}`);
      }
      // Wait until the wave has expired and enough slots are free for the next one. Meanwhile a tenant keeps
      // coming back at gaps around the retention (150–260 ms), so that its records land before, during and after
      // the handshakes that retire it: each must count for it, in whichever slot it has then.
      const deadline = Date.now() + 15_000;
      while (hooks.labels.tenantSlotsHeld > 60 - perWave) {
        if (Date.now() > deadline) throw new Error(`wave ${wave}: slots still held (${hooks.labels.tenantSlotsHeld})`);
        if (Date.now() - lastComeback >= 150 + comebackGapMillis) {
          request('comeback');
          lastComeback = Date.now();
          comebackGapMillis = (comebackGapMillis + 37) % 110;
        }
        await sleep(5);
      }
    }
    await collector.flush();
    const received = requestsByTenant(receiver.points);
    expect(received.get('__overflow__')).toBeUndefined();
    expect(Object.fromEntries(received)).toEqual(Object.fromEntries(expected));
    expect(expected.size).toBe(waves * perWave + 1);
    expect(expected.get('comeback')).toBeGreaterThan(waves);
    // No record lost or refused on the way.
    expect(collector.stats()).toMatchObject({ rejected: 0, ring: { dropped: 0 }, workers: { lostRecords: 0 } });
  }, 120_000);
});
