import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline, valuesByLabels, waitFor } from './support/harness.js';

const DAY_MILLIS = 86_400_000;
const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * tenantCreatedAt: `onboarding` follows the application's creation dates, asked off the request path, once per
 * tenant new to the process; a tenant without a date (or whose lookup failed) keeps first-seen.
 */
describe('tenantCreatedAt', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('puts a tenant created long ago out of onboarding, and only the recent or unknown ones in it', async () => {
    const asked: string[] = [];
    const now = Date.now();
    ({ collector, receiver } = await startPipeline({
      tenantCreatedAt(tenantId) {
        asked.push(tenantId);
        switch (tenantId) {
          case 'veteran':
            return new Date(now - 30 * DAY_MILLIS);
          case 'async-veteran':
            return Promise.resolve(new Date(now - 400 * DAY_MILLIS));
          case 'fresh':
            return now - 3_600_000;
          case 'throws':
            throw new Error('directory unavailable');
          case 'rejects':
            return Promise.reject(new Error('directory timed out'));
          case 'not-a-date':
            return 'last tuesday' as unknown as Date;
          default:
            return undefined;
        }
      },
    }));
    const tenants = ['veteran', 'async-veteran', 'fresh', 'unknown-date', 'throws', 'rejects', 'not-a-date'];
    for (const tenantId of tenants) {
      collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, durationSeconds: 0.01, tenantId });
      // Never on the request path: nothing is asked while the record call runs.
      expect(asked).toEqual([]);
    }
    // A known tenant is not asked again.
    collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, durationSeconds: 0.01, tenantId: 'veteran' });
    await waitFor(() => asked.length === tenants.length, 10_000, 'every new tenant asked');
    // The answers settle in microtasks: two macrotasks later every date is posted to the worker.
    await nextMacrotask();
    await nextMacrotask();
    expect(asked).toEqual(tenants);
    expect(collector.stats().hookFailures).toEqual({ tenantCreatedAt: 3 });

    await collector.flush();
    // Out of onboarding, the veterans show their hour's shape: every request in one minute of it.
    expect(valuesByLabels(receiver.points, 'tenant_activity_pattern')).toEqual({
      'pattern=batch_processing,tenant_id=veteran': 1,
      'pattern=batch_processing,tenant_id=async-veteran': 1,
      'pattern=onboarding,tenant_id=fresh': 1,
      'pattern=onboarding,tenant_id=unknown-date': 1,
      'pattern=onboarding,tenant_id=throws': 1,
      'pattern=onboarding,tenant_id=rejects': 1,
      'pattern=onboarding,tenant_id=not-a-date': 1,
    });
  });

  it('without it, every tenant new to the process is onboarding (first seen by this process)', async () => {
    ({ collector, receiver } = await startPipeline());
    collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, durationSeconds: 0.01, tenantId: 'veteran' });
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'tenant_activity_pattern')).toEqual({ 'pattern=onboarding,tenant_id=veteran': 1 });
  });

  it('refuses what is no function, naming the option', async () => {
    ({ collector, receiver } = await startPipeline());
    const { createCollector } = await import('ringmeter');
    expect(() => createCollector({ env: {}, tenantCreatedAt: 'yes' as never })).toThrow(
      new TypeError('options.tenantCreatedAt must be a function (tenantId: string) => Date | number | undefined (or a Promise of one)'),
    );
  });
});
