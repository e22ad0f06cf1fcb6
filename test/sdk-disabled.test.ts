import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, createCollector } from 'ringmeter';
import { resolveOptions } from 'ringmeter/internal';
import { OtlpReceiver } from './support/otlp-receiver.js';

describe('OTEL_SDK_DISABLED=true', () => {
  let collector: Collector | undefined;
  let receiver: OtlpReceiver | undefined;

  afterEach(async () => {
    await collector?.shutdown().catch(() => {});
    await receiver?.stop();
    collector = undefined;
    receiver = undefined;
  });

  it('is read the way the specification says: only "true" (any case) disables; anything else, empty included, does not', () => {
    for (const value of ['true', 'TRUE', ' True '])
      expect(resolveOptions({ env: { OTEL_SDK_DISABLED: value } }).disabled, value).toBe(true);
    for (const value of ['false', '', '1', 'yes', 'no'])
      expect(resolveOptions({ env: { OTEL_SDK_DISABLED: value } }).disabled, value).toBe(false);
    expect(resolveOptions({ env: {} }).disabled).toBe(false);
    // The option wins over the variable, as every option does.
    expect(resolveOptions({ env: { OTEL_SDK_DISABLED: 'true' }, disabled: false }).disabled).toBe(false);
  });

  it('gives a collector that records nothing, starts no worker and exports nothing, whatever it is asked', async () => {
    receiver = await new OtlpReceiver().start();
    collector = createCollector({
      env: { OTEL_SDK_DISABLED: 'true' },
      serviceName: 'disabled-test',
      otlp: { endpoint: receiver.url, exportIntervalMillis: 100 },
      exporters: ['otlp', 'console'],
    });
    expect(collector.options.disabled).toBe(true);
    for (let i = 0; i < 100; i++) {
      collector.recordHttp({ method: 'GET', route: '/items', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      collector.recordQuery({ queryType: 'SELECT', table: 'users', tenantId: 'acme', durationSeconds: 0.002 });
      collector.recordTransaction({ status: 'commit', tenantId: 'acme' });
      collector.recordTenantResource({ tenantId: 'acme', resourceType: 'storage', usage: 5 });
    }
    // Turning a family on changes nothing: there is no ring to write to.
    await collector.configure({ metrics: { http: true, runtime: true } });
    collector.recordHttp({ method: 'GET', route: '/items', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
    await collector.flush();
    // Past several export intervals: nothing was ever sent.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const stats = collector.stats();
    expect(stats.workers.count).toBe(0);
    expect(stats.workers.running).toBe(0);
    expect(stats.ring.written).toBe(0);
    expect(stats.ring.dropped).toBe(0);
    expect(stats.export.succeeded + stats.export.failed).toBe(0);
    expect(collector.health().status).toBe('ok');
    await collector.shutdown();
    expect(receiver.requests).toEqual([]);
  });
});
