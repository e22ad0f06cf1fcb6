import { describe, expect, it } from 'vitest';
import { internals } from 'ringmeter/internal';
import { startPipeline, total, waitFor } from './support/harness.js';

describe('a worker killed while its export is in flight (issue #28, item 12)', () => {
  it('counts the batch it had sent as possibly delivered, not lost, and never sends it again', async () => {
    const { collector, receiver } = await startPipeline();
    // Slow but willing: the request arrives whole, its answer would come 5 s later.
    receiver.respond = () => ({ status: 200, delayMillis: 5_000 });
    try {
      for (let i = 0; i < 1_000; i++)
        collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      const flushed = collector.flush({ timeoutMillis: 30_000 }).then(
        () => undefined,
        (error: Error) => error,
      );
      await waitFor(() => receiver.requests.length === 1, 10_000, 'the export to reach the receiver');
      await internals(collector).testHooks.killWorker(0);

      // The backend got all 1,000 (delivered); the worker died before it heard back.
      expect(total(receiver.requests[0].points, 'http_requests_total')).toBe(1_000);
      expect((await flushed)?.message).toBe(
        'ringmeter: the worker of shard 0 exited before it answered; 0 aggregated records were lost, 1000 possibly delivered (their export was in flight)',
      );
      expect(collector.stats().workers).toEqual({ count: 1, running: 1, restarts: 1, lostRecords: 0, possiblyDelivered: 1_000 });
      expect(collector.health()).toMatchObject({
        status: 'degraded',
        reasons: ['a worker died while its export was in flight (1000 records possibly delivered in total, not resent)'],
      });

      // The replacement exports the count, and never the 1,000 records again.
      receiver.respond = () => ({ status: 200 });
      await collector.flush();
      const all = receiver.requests.flatMap((request) => request.points);
      expect(total(all, 'http_requests_total')).toBe(1_000);
      expect(total(all, 'ringmeter.records.possibly_delivered', { reason: 'worker_exit' })).toBe(1_000);
      expect(total(all, 'ringmeter.records.lost')).toBe(0);
      expect(total(all, 'ringmeter.workers.restarts')).toBe(1);
    } finally {
      await collector.shutdown().catch(() => {});
      await receiver.stop();
    }
  });
});
