import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { internals } from 'ringmeter/internal';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline, total } from './support/harness.js';

const SEGMENT_RECORDS = 4_096;
const SEGMENT_BYTES = SEGMENT_RECORDS * 32;
/** Room for two raw segments, not a third, and a fold block of a few hundred series beside the worker's state. */
const SMALL_BOUND_BYTES = 2 * SEGMENT_BYTES + SEGMENT_BYTES / 2 + 64 * 1024;

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
      folded: 0,
      foldedToOverflow: 0,
      foldEntries: 0,
      foldSeriesBound: 0,
      foldCapacity: 0,
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

  it('folds what the raw segments cannot hold, per series: one series, any number of records, none dropped', async () => {
    // A bound with room for two raw segments and a small fold block (a few hundred series) beside the worker's
    // series bytes (its stores' initial capacity, ~50 KiB).
    ({ collector, receiver } = await startPipeline({ ringCapacity: 16, maxMemoryBytes: SMALL_BOUND_BYTES }));
    await collector.flush();
    await internals(collector).testHooks.pauseWorkers(true);
    const calls = 20_000;
    for (let i = 0; i < calls; i++) recordJob();
    const raw = 16 + 2 * SEGMENT_RECORDS;
    expect(collector.stats().ring).toMatchObject({
      written: 16,
      spilled: calls - 16,
      folded: calls - raw,
      foldedToOverflow: 0,
      // One series: one entry of the block, whatever its capacity.
      foldEntries: 1,
      dropped: 0,
    });
    // The block: what the bound leaves, 7/8 of it for series, the rest for overflow series; no reserve for series
    // the worker holds, since it held none when the block opened.
    const open = collector.stats().ring;
    expect(open.foldCapacity).toBeGreaterThanOrEqual(64);
    expect(open.foldSeriesBound).toBe(Math.floor((open.foldCapacity * 7) / 8));

    await internals(collector).testHooks.pauseWorkers(false);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(calls);
    expect(total(receiver.points, 'ringmeter.records.written') + total(receiver.points, 'ringmeter.records.spilled')).toBe(calls);
    expect(total(receiver.points, 'ringmeter.records.dropped', { reason: 'ring_full' })).toBe(0);
  });

  it('drops and counts only when not even the fold has room: past its series bound and its overflow series', async () => {
    ({ collector, receiver } = await startPipeline({ ringCapacity: 16, maxMemoryBytes: SMALL_BOUND_BYTES }));
    await collector.flush();
    await internals(collector).testHooks.pauseWorkers(true);
    const calls = 20_000;
    // 1,000 routes × 7 tenants: far more series than the small fold block holds, and more routes than its share
    // for overflow series (one per route and status under `__overflow__`).
    for (let i = 0; i < calls; i++) {
      collector.recordHttp({ method: 'POST', route: `/jobs/${i % 1_000}`, statusCode: 202, tenantId: `t${i % 7}`, durationSeconds: 0.001 });
    }
    const held = collector.stats().ring;
    expect(held.written + held.spilled + held.dropped).toBe(calls);
    expect(held.foldedToOverflow).toBeGreaterThan(0);
    expect(held.dropped).toBeGreaterThan(0);
    // Dropped only once the block was full: every entry of the series bound and of the overflow series made (no
    // reserve for held series: the worker held none when the block opened).
    expect(held.foldEntries).toBe(held.foldCapacity);
    expect(held.foldSeriesBound).toBe(Math.floor((held.foldCapacity * 7) / 8));

    await internals(collector).testHooks.pauseWorkers(false);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(held.written + held.spilled);
    expect(total(receiver.points, 'ringmeter.records.dropped', { reason: 'ring_full' })).toBe(held.dropped);
  });
});
