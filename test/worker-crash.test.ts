import { describe, expect, it } from 'vitest';
import { internals } from 'ringmeter/internal';
import { pipelinesClosedAfterEach, recordRequests, total, waitFor } from './support/harness.js';

describe('a worker killed mid-stream', () => {
  const startPipeline = pipelinesClosedAfterEach();

  it('is replaced; records still in the ring survive, later records are exported, the loss is counted', async () => {
    const { collector, receiver } = await startPipeline();
    const record = (n: number) => recordRequests(collector, n);

    record(100);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(100);
    receiver.clear();

    // 50 records aggregated by the worker but not exported: they live only in its memory.
    record(50);
    await waitFor(() => collector.stats().ring.used === 0, 5_000, 'the worker to drain');
    // 40 records still in the ring when the worker dies.
    await internals(collector).testHooks.pauseWorkers(true);
    record(40);
    expect(collector.stats().ring.used).toBe(40);

    await internals(collector).testHooks.killWorker(0);
    const afterKill = collector.stats();
    expect(afterKill.workers).toEqual({ count: 1, running: 1, restarts: 1, lostRecords: 50, possiblyDelivered: 0 });

    record(30);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(70);
    expect(total(receiver.points, 'ringmeter.records.lost', { reason: 'worker_exit' })).toBe(50);
    expect(total(receiver.points, 'ringmeter.workers.restarts')).toBe(1);
    // written counts every record that entered the ring, the lost ones included: 50 + 40 + 30.
    expect(total(receiver.points, 'ringmeter.records.written')).toBe(120);
    expect(collector.stats().ring).toMatchObject({ written: 220, dropped: 0, used: 0 });
  });
});
