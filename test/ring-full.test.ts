import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { internals } from 'ringmeter/internal';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline, total } from './support/harness.js';

describe('a full ring', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('drops and counts what does not fit while the worker is held back, and exports what was written', async () => {
    ({ collector, receiver } = await startPipeline({ ringCapacity: 16 }));
    await internals(collector).pauseWorkers(true);
    const calls = 100;
    for (let i = 0; i < calls; i++) {
      collector.recordHttp({ method: 'POST', route: '/jobs', statusCode: 202, tenantId: 'acme', durationSeconds: 0.001 });
    }
    const held = collector.stats();
    expect(held.ring).toEqual({ capacity: 16, used: 16, written: 16, dropped: 84 });
    expect(held.ring.written + held.ring.dropped).toBe(calls);

    await internals(collector).pauseWorkers(false);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(16);
    expect(total(receiver.points, 'ringmeter.records.written')).toBe(16);
    expect(total(receiver.points, 'ringmeter.records.dropped', { reason: 'ring_full' })).toBe(84);
    expect(collector.stats().ring.used).toBe(0);

    // Room again: nothing stays stuck.
    receiver.clear();
    for (let i = 0; i < 10; i++) {
      collector.recordHttp({ method: 'POST', route: '/jobs', statusCode: 202, tenantId: 'acme', durationSeconds: 0.001 });
    }
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(10);
    expect(total(receiver.points, 'ringmeter.records.dropped')).toBe(0);
  });
});
