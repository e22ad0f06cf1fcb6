import { describe, expect, it, onTestFinished } from 'vitest';
import { createCollector } from 'ringmeter';
import { internals } from 'ringmeter/internal';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { pipelinesClosedAfterEach, recordRequests, total, waitFor } from './support/harness.js';

describe('a worker whose own code throws (issue #29: worker errors surfaced, never swallowed)', () => {
  const startPipeline = pipelinesClosedAfterEach();

  it('is replaced through the same path as an exit; the error is in health() and stats(), the loss is counted', async () => {
    const { collector, receiver } = await startPipeline();
    const record = (n: number) => recordRequests(collector, n);
    record(100);
    await collector.flush();
    receiver.clear();

    // 60 records aggregated by the worker, not exported: they die with it.
    record(60);
    await waitFor(() => collector.stats().ring.used === 0, 5_000, 'the worker to drain');
    await internals(collector).testHooks.failWorker(0);

    const failure = 'the worker of shard 0 failed: ringmeter test hook: an error nothing caught';
    expect(collector.stats().workers).toEqual({ count: 1, running: 1, restarts: 1, lostRecords: 60, possiblyDelivered: 0 });
    expect(collector.stats().export.lastError).toBe(failure);
    expect(collector.health()).toMatchObject({
      status: 'degraded',
      reasons: [`a worker failed and was replaced: ${failure}`, 'a worker died with unexported records (60 lost in total)'],
    });

    // The replacement drains and exports what came after, and the count of what was lost.
    record(25);
    await collector.flush();
    expect(total(receiver.points, 'http_requests_total')).toBe(25);
    expect(total(receiver.points, 'ringmeter.records.lost', { reason: 'worker_exit' })).toBe(60);
    expect(total(receiver.points, 'ringmeter.workers.restarts')).toBe(1);
  });

  it('a collector not made for tests gives its worker no test port: every test hook is refused', async () => {
    const receiver = await new OtlpReceiver().start();
    const collector = createCollector({
      env: {},
      otlp: { endpoint: receiver.url, exportIntervalMillis: 3_600_000 },
      metrics: { runtime: false },
    });
    onTestFinished(async () => {
      await collector.shutdown();
      await receiver.stop();
    });
    const hooks = internals(collector).testHooks;
    const off = 'ringmeter: test hooks are off; make the collector with createTestCollector (ringmeter/internal)';
    await expect(hooks.pauseWorkers(true)).rejects.toThrow(off);
    expect(() => hooks.failWorker(0)).toThrow(off);
    expect(() => hooks.measureWorkerMemory()).toThrow(off);
    expect(collector.stats().workers.restarts).toBe(0);
  });
});
