import { describe, expect, it } from 'vitest';
import { createCollector } from 'ringmeter';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { drained, startPipeline, total } from './support/harness.js';

const record = (collector: ReturnType<typeof createCollector>, count: number) => {
  for (let i = 0; i < count; i++)
    collector.recordHttp({ method: 'GET', route: '/orders/:id', statusCode: 200, tenantId: `t${i % 3}`, durationSeconds: 0.002 });
};

/**
 * The first request is answered 503 with Retry-After: 1 only after 1.2 s, so the export (2 s deadline) cannot
 * retry within its own deadline and the data stays pending with "not before" set one second ahead. What the next
 * flush or shutdown does with that second is what is under test.
 *
 * The deadline leaves 0.8 s for the export to reach the receiver: the worker has started and drained the first
 * records before the flush (polled), so that a worker starting slowly on a loaded machine is not counted in it.
 */
async function afterSlowRetryAfter(retryAfterSeconds: number) {
  const { collector, receiver } = await startPipeline({ otlp: { timeoutMillis: 2_000 } });
  const answers: number[] = [];
  receiver.respond = (_request, index) => {
    answers.push(Date.now());
    return index === 0 ? { status: 503, headers: { 'retry-after': String(retryAfterSeconds) }, delayMillis: 1_200 } : { status: 200 };
  };
  record(collector, 300);
  await drained(collector);
  // The export's own deadline came before the Retry-After did: it gives up, the data stays pending.
  await expect(collector.flush()).rejects.toThrow('HTTP 503');
  record(collector, 200);
  return { collector, receiver, answers };
}

// Concurrent: each test has its own collector and receiver and mostly waits out a Retry-After.
describe.concurrent('a Retry-After shorter than what is left of the deadline is waited out', () => {
  it('flush: waits the second, then exports both records sets exactly once', async () => {
    const { collector, receiver, answers } = await afterSlowRetryAfter(1);
    try {
      const started = Date.now();
      await collector.flush();
      expect(answers).toHaveLength(2);
      // Not sent before the second the backend asked for (counted from its answer), and not much later.
      expect(answers[1] - (answers[0] + 1_200)).toBeGreaterThanOrEqual(990);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(total(receiver.points, 'http_requests_total')).toBe(500);
      expect(total(receiver.points, 'ringmeter.records.written')).toBe(500);
    } finally {
      await collector.shutdown().catch(() => {});
      await receiver.stop();
    }
  });

  it('shutdown (the SIGTERM path): waits the second, exports, resolves', async () => {
    const { collector, receiver } = await afterSlowRetryAfter(1);
    try {
      await collector.shutdown({ timeoutMillis: 2_000 });
      expect(total(receiver.points, 'http_requests_total')).toBe(500);
    } finally {
      await receiver.stop();
    }
  });

  it('only a Retry-After that ends past the deadline makes them reject at once, and keeps the data', async () => {
    const { collector, receiver, answers } = await afterSlowRetryAfter(3);
    try {
      const started = Date.now();
      await expect(collector.flush({ timeoutMillis: 1_000 })).rejects.toThrow(`the backend at ${receiver.url} asked to retry after`);
      expect(Date.now() - started).toBeLessThan(500);
      expect(answers).toHaveLength(1);
      // A deadline that reaches past it: the flush waits and delivers everything.
      await collector.flush({ timeoutMillis: 5_000 });
      expect(total(receiver.points, 'http_requests_total')).toBe(500);
    } finally {
      await collector.shutdown().catch(() => {});
      await receiver.stop();
    }
  });
});

describe('otlp.endpoint given as a base URL', () => {
  it('posts to /v1/metrics on that host', async () => {
    const receiver = await new OtlpReceiver().start();
    const base = new URL(receiver.url).origin;
    const collector = createCollector({ env: {}, metrics: { runtime: false }, otlp: { endpoint: base, exportIntervalMillis: 3_600_000 } });
    try {
      record(collector, 10);
      await collector.flush();
      expect(receiver.requests.map((request) => request.path)).toEqual(['/v1/metrics']);
      expect(total(receiver.points, 'http_requests_total')).toBe(10);
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });
});
