import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { internals } from 'ringmeter/internal';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { requestsByTenant, startPipeline, waitFor } from './support/harness.js';

const RETENTION_MILLIS = 200;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

describe('tenant retention through real workers and the OTLP receiver', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('a worker that dies mid-handshake: the slots stay retiring, its replacement is asked again, then they are freed', async () => {
    ({ collector, receiver } = await startPipeline({
      maxTenants: 10,
      tenantRetentionMillis: RETENTION_MILLIS,
      otlp: { exportIntervalMillis: 100 },
    }));
    const hooks = internals(collector);
    const record = (tenant: string, n: number) => {
      for (let i = 0; i < n; i++)
        collector.recordHttp({ method: 'GET', route: '/a', statusCode: 200, tenantId: tenant, durationSeconds: 0.01 });
    };
    await hooks.testHooks.holdTenantForgets(true);
    for (let t = 0; t < 10; t++) record(`first-${t}`, 3);
    await collector.flush();
    // Step 2 done (every tenant retired: none live), step 3 held back by the worker.
    await waitFor(() => hooks.labels.tenantsKnown === 0, 10_000, 'the first tenants to be retired');
    await sleep(3 * RETENTION_MILLIS);
    expect(hooks.labels.tenantSlotsHeld).toBe(10);
    // Every slot is held (retiring), so a new tenant overflows, counted as such; exported before the crash.
    record('blocked', 1);
    await collector.flush();

    await hooks.testHooks.killWorker(0);
    // The replacement is told to forget the retiring slots, reports them, and the slots are freed.
    await waitFor(() => hooks.labels.tenantSlotsHeld === 0, 10_000, 'the retiring slots to be freed');
    for (let t = 0; t < 10; t++) record(`second-${t}`, 2);
    await collector.flush();

    const expected: Record<string, number> = { __overflow__: 1 };
    for (let t = 0; t < 10; t++) {
      expected[`first-${t}`] = 3;
      expected[`second-${t}`] = 2;
    }
    expect(Object.fromEntries(requestsByTenant(receiver.points))).toEqual(expected);
    // Everything was exported before the crash: nothing lost, and nothing exported twice (the totals above).
    expect(collector.stats().workers).toMatchObject({ restarts: 1, lostRecords: 0 });
  }, 60_000);
});
