import { describe, expect, it } from 'vitest';
import type { Collector, CollectorOptions } from 'ringmeter';
import type { OtlpReceiver, Responder } from './support/otlp-receiver.js';
import { resent, startPipeline, total, waitFor } from './support/harness.js';

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
 * Streams records through a collector exporting every 250 ms, to a receiver answering with `responder` (faults are
 * injected by request index, the first `faultyRequests` of them), until the fault has played out: the receiver has
 * met a request past them. Then flushes. A condition, not a duration: a loaded machine sends its requests later.
 */
async function underFault(responder: Responder, faultyRequests: number, options: CollectorOptions = {}) {
  const { collector, receiver } = await startPipeline({
    ...options,
    otlp: { exportIntervalMillis: 250, timeoutMillis: 4_000, ...options.otlp },
  });
  receiver.respond = responder;
  const stream = steadyStream(collector);
  let recorded: number;
  try {
    await waitFor(() => receiver.requests.length > faultyRequests, 60_000, `request ${faultyRequests + 1}, after the fault`);
  } finally {
    recorded = stream.stop();
  }
  // The flush may meet a request that times out on a loaded machine (seen 2026-12-03, with the rest of the suite
  // running). A failed flush keeps its data pending for the next export, which is what a caller does next: flush
  // again. The tests assert totals and timings, not how fast the flush is.
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

/**
 * Records the receiver holds, less what it holds twice: a request that timed out at the client after the receiver
 * had taken it is sent again (at least once; see `resent`), and the collector counts those data points as possibly
 * duplicated, at least as many as were.
 */
function deliveredOnce(receiver: OtlpReceiver, collector: Collector, metric = 'http_requests_total'): number {
  const twice = resent(receiver.accepted, metric);
  expect(collector.stats().export.possiblyDuplicatedDataPoints).toBeGreaterThanOrEqual(twice.points);
  return total(receiver.points, metric) - twice.value;
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
    }, 2);
    try {
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
      expect(times[2] - times[1]).toBeGreaterThanOrEqual(950);
      expect(deliveredOnce(receiver, collector)).toBe(recorded);
      expect(deliveredOnce(receiver, collector, 'ringmeter.records.written')).toBe(recorded);
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
      1,
      { otlp: { timeoutMillis: 1_000 } },
    );
    try {
      // Exports are due every 250 ms, yet the second request waits for the Retry-After.
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(2_950);
      expect(deliveredOnce(receiver, collector)).toBe(recorded);
    } finally {
      await close(collector, receiver);
    }
  });

  it('503 three times: backs off, retries, exact totals', async () => {
    const { collector, receiver, recorded } = await underFault((_request, index) => (index < 3 ? { status: 503 } : { status: 200 }), 3);
    try {
      expect(deliveredOnce(receiver, collector)).toBe(recorded);
      expect(collector.stats().export.attempts).toBe(receiver.requests.length);
    } finally {
      await close(collector, receiver);
    }
  });

  it('a connection reset: retried, exact totals', async () => {
    const { collector, receiver, recorded } = await underFault((_request, index) => (index < 2 ? 'reset' : { status: 200 }), 2);
    try {
      expect(deliveredOnce(receiver, collector)).toBe(recorded);
    } finally {
      await close(collector, receiver);
    }
  });

  it('a response slower than the timeout: the data is sent again and counted once', async () => {
    const { collector, receiver, recorded } = await underFault(
      // The margins: a slow machine (2026-12-03) took more than 800 ms to answer the flush's own requests.
      (_request, index) => (index === 0 ? { status: 200, delayMillis: 4_000 } : { status: 200 }),
      1,
      { otlp: { timeoutMillis: 1_500 } },
    );
    try {
      expect(receiver.requests.length).toBeGreaterThan(receiver.accepted.length);
      expect(deliveredOnce(receiver, collector)).toBe(recorded);
      expect(collector.stats().export.failed).toBeGreaterThanOrEqual(1);
      // The slow request went out whole and timed out: its points are counted as possibly duplicated (this receiver
      // did not keep it, a real backend might have).
      expect(collector.stats().export.possiblyDuplicatedDataPoints).toBeGreaterThanOrEqual(receiver.requests[0].points.length);
    } finally {
      await close(collector, receiver);
    }
  });

  it('the receiver down for three failed exports, then up: every interval arrives, exactly', async () => {
    // The request timeout is what separates "exactly" from "at least once": a request the receiver accepted but
    // whose answer reached the exporter after its timeout is sent again, as OTLP intends (seen 2026-12-03 with a
    // 1 s timeout on a loaded 2-core machine: the exporter's thread ran its timer before the socket's answer), and
    // counted as possibly duplicated (deliveredOnce). Each refused export fails at its first retry, about a second in.
    const { collector, receiver } = await startPipeline({ otlp: { exportIntervalMillis: 250, timeoutMillis: 2_000 } });
    const port = Number(new URL(receiver.url).port);
    const stream = steadyStream(collector);
    try {
      await waitFor(() => receiver.accepted.length > 0, 60_000, 'a first export accepted');
      await receiver.stop();
      // Three failed exports (each refused, retried once after ~1 s, refused again): enough to show the data is
      // carried over them all. Polled, not slept: a loaded machine exports later.
      const failedBefore = collector.stats().export.failed;
      await waitFor(() => collector.stats().export.failed >= failedBefore + 3, 60_000, 'three failed exports');
      expect(collector.health().status).toBe('failing');
      await receiver.start(port);
      const acceptedBefore = receiver.accepted.length;
      await waitFor(() => receiver.accepted.length > acceptedBefore, 60_000, 'an export accepted after the outage');
      const recorded = stream.stop();
      await collector.flush();
      expect(deliveredOnce(receiver, collector)).toBe(recorded);
      expect(collector.stats().export.failed).toBeGreaterThanOrEqual(3);
      expect(collector.health().status).toBe('ok');
    } finally {
      stream.stop();
      await close(collector, receiver);
    }
  }, 120_000);

  it('400: the batch is not retried; it is dropped and counted', async () => {
    const { collector, receiver, recorded } = await underFault(
      (_request, index) => (index === 0 ? { status: 400, body: '{"message":"bad data"}' } : { status: 200 }),
      1,
    );
    try {
      const refused = receiver.requests[0];
      const refusedRequests = total(refused.points, 'http_requests_total');
      expect(refusedRequests).toBeGreaterThan(0);
      // Everything else arrived; the refused batch never came back.
      expect(deliveredOnce(receiver, collector)).toBe(recorded - refusedRequests);
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
      1,
    );
    try {
      // Sent once: the receiver kept what it was given, nothing was resent.
      expect(deliveredOnce(receiver, collector)).toBe(recorded);
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
