import { describe, expect, it } from 'vitest';
import { createCollector } from 'ringmeter';
import { OtlpReceiver, type ReceivedRequest } from './support/otlp-receiver.js';
import { startSteeredPipeline, total } from './support/harness.js';

const record = (collector: ReturnType<typeof createCollector>, count: number) => {
  for (let i = 0; i < count; i++)
    collector.recordHttp({ method: 'GET', route: '/orders/:id', statusCode: 200, tenantId: `t${i % 3}`, durationSeconds: 0.002 });
};

/**
 * The first request is answered 503 with Retry-After only after 1.2 s, so the export (2 s deadline) cannot retry
 * within its own deadline and the data stays pending with "not before" set that many seconds ahead. What the next
 * flush or shutdown does with that wait is what is under test.
 *
 * On steered time (startSteeredPipeline): the collector's supervisors and workers read a time that moves only when
 * the test moves it, so every wait, deadline and request timeout is exact, and the same at any machine load. A
 * flush that waited on the clock when it should not would never settle.
 */
/** When the export of `request` collected its points, on the collector's clock: every point ends then. */
const collectedAt = (request: ReceivedRequest) => Number(request.points[0].timeUnixNano / 1_000_000n);

async function afterSlowRetryAfter(retryAfterSeconds: number) {
  const pipeline = await startSteeredPipeline({ otlp: { timeoutMillis: 2_000 } });
  const { collector, receiver, now, advance } = pipeline;
  const answers: number[] = [];
  receiver.respond = (_request, index) => {
    answers.push(now());
    return index === 0 ? { status: 503, headers: { 'retry-after': String(retryAfterSeconds) }, after: advance(1_200) } : { status: 200 };
  };
  record(collector, 300);
  // The export's own deadline came before the Retry-After did: it gives up, the data stays pending.
  await expect(collector.flush()).rejects.toThrow('HTTP 503');
  record(collector, 200);
  /**
   * Moves time on by `millis` in two steps, the backend asked nothing before the last millisecond, and settles
   * `pending`; returns how long after the first export the second collected its points (a wait that ended a
   * millisecond early would have collected at the first step).
   */
  const waitOut = async (millis: number, pending: Promise<void>): Promise<number> => {
    await advance(millis - 1);
    expect(answers).toHaveLength(1);
    await advance(1);
    await pending;
    return collectedAt(receiver.requests[1]) - collectedAt(receiver.requests[0]);
  };
  return { ...pipeline, answers, waitOut };
}

// Concurrent: each test has its own collector, receiver and time.
describe.concurrent('a Retry-After shorter than what is left of the deadline is waited out', () => {
  it('flush: waits the second, then exports both records sets exactly once', async () => {
    const { collector, receiver, answers, now, waitOut } = await afterSlowRetryAfter(1);
    try {
      const started = now();
      // Sent the second the backend asked for (counted from its answer, 1.2 s after the request), not a millisecond
      // sooner, and the flush took just that second.
      expect(await waitOut(1_000, collector.flush())).toBe(1_200 + 1_000);
      expect(answers[1] - answers[0]).toBe(1_200 + 1_000);
      expect(now() - started).toBe(1_000);
      expect(total(receiver.points, 'http_requests_total')).toBe(500);
      expect(total(receiver.points, 'ringmeter.records.written')).toBe(500);
    } finally {
      await collector.shutdown().catch(() => {});
      await receiver.stop();
    }
  });

  it('shutdown (the SIGTERM path): waits the second, exports, resolves', async () => {
    const { collector, receiver, waitOut } = await afterSlowRetryAfter(1);
    try {
      expect(await waitOut(1_000, collector.shutdown({ timeoutMillis: 2_000 }))).toBe(1_200 + 1_000);
      expect(total(receiver.points, 'http_requests_total')).toBe(500);
    } finally {
      await receiver.stop();
    }
  });

  it('only a Retry-After that ends past the deadline makes them reject at once, and keeps the data', async () => {
    const { collector, receiver, answers, now, waitOut } = await afterSlowRetryAfter(3);
    try {
      const started = now();
      // At once: no time moves while it runs (a flush that waited for the Retry-After would never settle).
      await expect(collector.flush({ timeoutMillis: 1_000 })).rejects.toThrow(`the backend at ${receiver.url} asked to retry after`);
      expect(now()).toBe(started);
      expect(answers).toHaveLength(1);
      // A deadline that reaches past it: the flush waits the three seconds and delivers everything.
      expect(await waitOut(3_000, collector.flush({ timeoutMillis: 5_000 }))).toBe(1_200 + 3_000);
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
