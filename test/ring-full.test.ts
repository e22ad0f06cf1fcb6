import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { internals } from 'ringmeter/internal';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline, total } from './support/harness.js';

const SEGMENT_RECORDS = 4_096;
const SEGMENT_BYTES = SEGMENT_RECORDS * 32;

describe('a full ring', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  afterEach(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  const recordJob = () =>
    collector.recordHttp({ method: 'POST', route: '/jobs', statusCode: 202, tenantId: 'acme', durationSeconds: 0.001 });

  it('keeps what does not fit in the overflow while the worker is held back, and exports all of it', async () => {
    ({ collector, receiver } = await startPipeline({ ringCapacity: 16 }));
    await internals(collector).testHooks.pauseWorkers(true);
    const calls = 100;
    for (let i = 0; i < calls; i++) recordJob();
    const held = collector.stats();
    expect(held.ring).toEqual({
      capacity: 16,
      used: 16,
      written: 16,
      spilled: 84,
      overflowRecords: 84,
      overflowBytes: SEGMENT_BYTES,
      dropped: 0,
    });

    await internals(collector).testHooks.pauseWorkers(false);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(calls);
    expect(total(receiver.points, 'ringmeter.records.written')).toBe(16);
    expect(total(receiver.points, 'ringmeter.records.spilled')).toBe(84);
    expect(total(receiver.points, 'ringmeter.records.dropped')).toBe(0);
    expect(collector.stats().ring).toMatchObject({ used: 0, overflowRecords: 0 });

    // Room again: nothing stays stuck.
    receiver.clear();
    for (let i = 0; i < 10; i++) recordJob();
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(10);
    expect(total(receiver.points, 'ringmeter.records.written')).toBe(10);
  });

  it('drops and counts only past maxMemoryBytes, and exports every record it kept', async () => {
    // Room for two overflow segments and not a third beside the worker's series bytes (its stores' initial
    // capacity, well under half a segment), which the flush makes sure it has published before it is paused.
    ({ collector, receiver } = await startPipeline({ ringCapacity: 16, maxMemoryBytes: 2 * SEGMENT_BYTES + SEGMENT_BYTES / 2 }));
    await collector.flush();
    await internals(collector).testHooks.pauseWorkers(true);
    const calls = 20_000;
    for (let i = 0; i < calls; i++) recordJob();
    const kept = 16 + 2 * SEGMENT_RECORDS;
    expect(collector.stats().ring).toMatchObject({ written: 16, spilled: 2 * SEGMENT_RECORDS, dropped: calls - kept });

    await internals(collector).testHooks.pauseWorkers(false);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(kept);
    expect(total(receiver.points, 'ringmeter.records.written') + total(receiver.points, 'ringmeter.records.spilled')).toBe(kept);
    expect(total(receiver.points, 'ringmeter.records.dropped', { reason: 'ring_full' })).toBe(calls - kept);
  });
});
