import { describe, expect, it } from 'vitest';
import type { Collector, CollectorOptions } from 'ringmeter';
import type { OtlpReceiver, Responder } from './support/otlp-receiver.js';
import { startPipeline, total, waitFor } from './support/harness.js';

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** Records 20 requests every 5 ms until stopped; returns how many it recorded. */
function steadyStream(collector: Collector): { stop(): number } {
  let recorded = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < 20; i++) {
      collector.recordHttp({
        method: 'GET',
        route: '/orders/:id',
        statusCode: 200,
        tenantId: `tenant-${recorded % 7}`,
        durationSeconds: 0.004,
      });
      recorded++;
    }
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return recorded;
    },
  };
}

/**
 * Streams records for `faultMillis` + 400 ms through a collector exporting every 250 ms, to a receiver answering
 * with `responder` (faults are injected by request index), then flushes.
 */
async function underFault(responder: Responder, faultMillis: number, options: CollectorOptions = {}) {
  const { collector, receiver } = await startPipeline({
    ...options,
    otlp: { exportIntervalMillis: 250, timeoutMillis: 4_000, ...options.otlp },
  });
  receiver.respond = responder;
  const stream = steadyStream(collector);
  await sleep(faultMillis + 400);
  const recorded = stream.stop();
  // The flush may have to wait out the fault's Retry-After or meet a request that times out: on a slow machine
  // (seen 2026-12-03, with the rest of the suite running) the fault ends later than `faultMillis` says. A failed
  // flush keeps its data pending for the next export, which is what a caller does next: flush again. The tests
  // assert totals and timings, not how fast the flush is.
  for (let attempt = 1; ; attempt++) {
    try {
      await collector.flush({ timeoutMillis: 10_000 });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
  return { collector, receiver, recorded };
}

async function close(collector: Collector, receiver: OtlpReceiver): Promise<void> {
  await collector.shutdown().catch(() => {});
  await receiver.stop();
}

// Concurrent: each test has its own collector and receiver, and spends its time waiting out the faults it injects
// (Retry-After, back-off, a receiver down for seconds); run one after another they took ~23 s of waiting.
describe.concurrent('exports under backend faults, with a steady stream of records', () => {
  it('429 with Retry-After: waits as told, retries, and delivers every record exactly once', async () => {
    const times: number[] = [];
    const { collector, receiver, recorded } = await underFault((_request, index) => {
      times.push(Date.now());
      return index < 2 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
    }, 4_000);
    try {
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
      expect(times[2] - times[1]).toBeGreaterThanOrEqual(950);
      expect(total(receiver.points, 'http_requests_total')).toBe(recorded);
      expect(total(receiver.points, 'ringmeter.records.written')).toBe(recorded);
    } finally {
      await close(collector, receiver);
    }
  });

  it('a Retry-After longer than the export deadline holds every export back until it has passed', async () => {
    const times: number[] = [];
    const { collector, receiver, recorded } = await underFault(
      (_request, index) => {
        times.push(Date.now());
        return index === 0 ? { status: 503, headers: { 'retry-after': '3' } } : { status: 200 };
      },
      3_600,
      { otlp: { timeoutMillis: 1_000 } },
    );
    try {
      // Exports are due every 250 ms, yet the second request waits for the Retry-After.
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(2_950);
      expect(total(receiver.points, 'http_requests_total')).toBe(recorded);
    } finally {
      await close(collector, receiver);
    }
  });

  it('503 three times: backs off, retries, exact totals', async () => {
    const { collector, receiver, recorded } = await underFault((_request, index) => (index < 3 ? { status: 503 } : { status: 200 }), 3_000);
    try {
      expect(total(receiver.points, 'http_requests_total')).toBe(recorded);
      expect(collector.stats().export.attempts).toBe(receiver.requests.length);
    } finally {
      await close(collector, receiver);
    }
  });

  it('a connection reset: retried, exact totals', async () => {
    const { collector, receiver, recorded } = await underFault((_request, index) => (index < 2 ? 'reset' : { status: 200 }), 2_000);
    try {
      expect(total(receiver.points, 'http_requests_total')).toBe(recorded);
    } finally {
      await close(collector, receiver);
    }
  });

  it('a response slower than the timeout: the data is sent again and counted once', async () => {
    const { collector, receiver, recorded } = await underFault(
      // The margins: a slow machine (2026-12-03) took more than 800 ms to answer the flush's own requests.
      (_request, index) => (index === 0 ? { status: 200, delayMillis: 4_000 } : { status: 200 }),
      1_500,
      { otlp: { timeoutMillis: 1_500 } },
    );
    try {
      expect(receiver.requests.length).toBeGreaterThan(receiver.accepted.length);
      expect(total(receiver.points, 'http_requests_total')).toBe(recorded);
      expect(collector.stats().export.failed).toBeGreaterThanOrEqual(1);
    } finally {
      await close(collector, receiver);
    }
  });

  it('the receiver down for 5 s, then up: every interval arrives, exactly', async () => {
    // The request timeout is what separates "exactly" from "at least once": a request the receiver accepted but
    // whose answer reached the exporter after its timeout is sent again, as OTLP intends (seen 2026-12-03 with a
    // 1 s timeout on a loaded 2-core machine: the exporter's thread ran its timer before the socket's answer).
    // 2 s leaves that margin; each refused export then fails at its first retry, about a second in.
    const { collector, receiver } = await startPipeline({ otlp: { exportIntervalMillis: 250, timeoutMillis: 2_000 } });
    const port = Number(new URL(receiver.url).port);
    const stream = steadyStream(collector);
    try {
      await sleep(300);
      await receiver.stop();
      // Four or five failed exports (each refused, retried once after ~1 s, refused again): enough to show the
      // data is carried over them all.
      await sleep(5_000);
      expect(collector.health().status).toBe('failing');
      await receiver.start(port);
      await sleep(600);
      const recorded = stream.stop();
      await collector.flush();
      expect(total(receiver.points, 'http_requests_total')).toBe(recorded);
      expect(collector.stats().export.failed).toBeGreaterThanOrEqual(3);
      expect(collector.health().status).toBe('ok');
    } finally {
      stream.stop();
      await close(collector, receiver);
    }
  }, 30_000);

  it('400: the batch is not retried; it is dropped and counted', async () => {
    const { collector, receiver, recorded } = await underFault(
      (_request, index) => (index === 0 ? { status: 400, body: '{"message":"bad data"}' } : { status: 200 }),
      800,
    );
    try {
      const refused = receiver.requests[0];
      const refusedRequests = total(refused.points, 'http_requests_total');
      expect(refusedRequests).toBeGreaterThan(0);
      // Everything else arrived; the refused batch never came back.
      expect(total(receiver.points, 'http_requests_total')).toBe(recorded - refusedRequests);
      const stats = collector.stats();
      expect(stats.export.droppedDataPoints).toBe(refused.points.length);
      expect(stats.export.attempts).toBe(receiver.requests.length);
      expect(total(receiver.points, 'otel.sdk.exporter.metric_data_point.exported', { 'error.type': '400' })).toBe(refused.points.length);
      expect(collector.health().status).toBe('degraded');
      expect(collector.health().reasons.join()).toContain('the backend refused data points');
    } finally {
      await close(collector, receiver);
    }
  });

  it('a partial success: not retried; the rejected points are counted', async () => {
    const { collector, receiver, recorded } = await underFault(
      (_request, index) =>
        index === 0
          ? { status: 200, body: '{"partialSuccess":{"rejectedDataPoints":"2","errorMessage":"quota exceeded"}}' }
          : { status: 200 },
      800,
    );
    try {
      // Sent once: the receiver kept what it was given, nothing was resent.
      expect(total(receiver.points, 'http_requests_total')).toBe(recorded);
      expect(collector.stats().export.rejectedDataPoints).toBe(2);
      await waitFor(
        () => total(receiver.points, 'otel.sdk.exporter.metric_data_point.exported', { 'error.type': 'rejected' }) === 2,
        5_000,
        'the rejected points self-metric',
      );
    } finally {
      await close(collector, receiver);
    }
  });
});
