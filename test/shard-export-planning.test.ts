import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { RingWriter } from '../dist/src/ring/ring-writer.js';
import { StringTableWriter } from '../dist/src/strings/string-table.js';
import type { WorkerConfig } from '../dist/src/contract/worker-config.js';
import { Shard } from '../dist/workers/shard.js';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { inProcessWorkerConfig, onSimulatedTime } from './support/in-process-shard.js';
import { SimulatedClock } from './support/simulated-clock.js';

/**
 * A shard run in-process on simulated time, exporting over real HTTP to the test receiver: the Retry-After and
 * back-off rules without real waits. The end-to-end tests run the same rules through a real worker: reliability-export
 * on real time, retry-after-deadline on a steered time.
 */
async function inProcessShard(otlp: Partial<WorkerConfig['otlp']> = {}) {
  const receiver = await new OtlpReceiver().start();
  const clock = new SimulatedClock();
  const { port1, port2 } = new MessageChannel();
  const config = inProcessWorkerConfig({ otlp: { endpoint: receiver.url, ...otlp } });
  const ring = new RingWriter(config.ringCapacity, config.maxMemoryBytes);
  const strings = new StringTableWriter(config.stringTableEntries, 4_096);
  const shard = new Shard({ shard: 0, ring: ring.buffer, strings: strings.buffer, port: port2, config }, clock);
  return {
    receiver,
    clock,
    shard,
    async close() {
      port1.close();
      port2.close();
      await receiver.stop();
    },
  };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('a shard planning exports, on simulated time', () => {
  it('holds every export back until a Retry-After past its deadline has passed, then sends at once', async () => {
    const run = await inProcessShard();
    close = run.close;
    const { receiver, clock, shard } = run;
    const answeredAt: number[] = [];
    receiver.respond = (_request, index) => {
      answeredAt.push(clock.nowMillis());
      return index === 0 ? { status: 503, headers: { 'retry-after': '3' } } : { status: 200 };
    };
    const first = await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000));
    expect(first).toMatchObject({ ok: false });
    const heldBack = await shard.requestExport(clock.nowMillis() + 1_000);
    expect(heldBack).toEqual({
      ok: false,
      reason: `the backend at ${receiver.url} asked to retry after 3 s (Retry-After); data is kept until then`,
    });
    expect(receiver.requests).toHaveLength(1);
    // A deadline past it: the export waits the three seconds of simulated time, not one millisecond less.
    const waiting = shard.requestExport(clock.nowMillis() + 5_000);
    await clock.advance(2_999);
    expect(receiver.requests).toHaveLength(1);
    expect(await onSimulatedTime(clock, waiting)).toEqual({ ok: true });
    expect(answeredAt[1] - answeredAt[0]).toBe(3_000);
  });

  it('retries 503s within one export after growing back-offs, then delivers', async () => {
    // Each request may take 10 s: the three back-offs (4.75 s in all) fit in one.
    const run = await inProcessShard({ timeoutMillis: 10_000 });
    close = run.close;
    const { receiver, clock, shard } = run;
    const answeredAt: number[] = [];
    receiver.respond = (_request, index) => {
      answeredAt.push(clock.nowMillis());
      return index < 3 ? { status: 503 } : { status: 200 };
    };
    const outcome = await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 60_000));
    expect(outcome).toEqual({ ok: true });
    expect(receiver.requests).toHaveLength(4);
    const waits = answeredAt.slice(1).map((at, i) => at - answeredAt[i]);
    // 1 s, 1.5 s, 2.25 s, each ±20 % jitter.
    [1_000, 1_500, 2_250].forEach((backoff, i) => {
      expect(waits[i]).toBeGreaterThanOrEqual(backoff * 0.8);
      expect(waits[i]).toBeLessThanOrEqual(backoff * 1.2);
    });
  });

  it('a flush arriving while an export runs waits for it and joins the one queued after it: two requests, not three', async () => {
    const run = await inProcessShard();
    close = run.close;
    const { receiver, clock, shard } = run;
    const deadline = clock.nowMillis() + 2_000;
    const outcomes = [shard.requestExport(deadline), shard.requestExport(deadline), shard.requestExport(deadline)];
    expect(await onSimulatedTime(clock, Promise.all(outcomes))).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(receiver.requests).toHaveLength(2);
  });
});
