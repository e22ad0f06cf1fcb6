import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { KIND_HTTP, tag } from '../dist/src/contract/codes.js';
import type { LiveWorkerSettings, WorkerConfig } from '../dist/src/contract/worker-config.js';
import { methodId } from '../dist/src/contract/http-methods.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';
import { EndpointInterner, InternBudget, LabelInterner } from '../dist/src/strings/interner.js';
import { StringTableWriter } from '../dist/src/strings/string-table.js';
import { Shard } from '../dist/workers/shard.js';
import { pointsNamed, waitFor } from './support/harness.js';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { inProcessWorkerConfig, onSimulatedTime } from './support/in-process-shard.js';
import { SimulatedClock } from './support/simulated-clock.js';

/**
 * Shard.reconfigure() in-process on simulated time, exporting over real HTTP to two test receivers: the hand-over
 * export to the old endpoint, the carry-over of what it did not accept to the new one, and the re-armed timer.
 */
async function inProcessShard() {
  const old = await new OtlpReceiver().start();
  const next = await new OtlpReceiver().start();
  const clock = new SimulatedClock();
  const { port1, port2 } = new MessageChannel();
  const config = inProcessWorkerConfig({ otlp: { endpoint: old.url } });
  const ring = new RingWriter(config.ringCapacity, config.maxMemoryBytes);
  const strings = new StringTableWriter(config.stringTableEntries, 4_096);
  const routes = new EndpointInterner(strings, new InternBudget(10), 256, () => 'api');
  const tenants = new LabelInterner(strings, new InternBudget(10), 128);
  const shard = new Shard({ shard: 0, ring: ring.buffer, strings: strings.buffer, port: port2, config }, clock);
  const record = (route: string, count: number) => {
    for (let i = 0; i < count; i++) {
      ring.writeWithByteCounts(tag(KIND_HTTP, methodId('GET'), 200), routes.intern(route), tenants.intern('acme'), 0.01, 0, 0);
    }
  };
  /** The shard's live settings now, with these OTLP settings changed (what a `configure` message carries). */
  const otlp = (changes: Partial<WorkerConfig['otlp']>): LiveWorkerSettings => ({
    otlp: { ...config.otlp, ...changes },
    exporters: [...config.exporters],
    metrics: { ...config.metrics },
    workerHangMillis: config.workerHangMillis,
  });
  return {
    old,
    next,
    clock,
    shard,
    record,
    otlp,
    async close() {
      port1.close();
      port2.close();
      await old.stop();
      await next.stop();
    },
  };
}

const requests = (receiver: OtlpReceiver) =>
  pointsNamed(receiver.points, 'http_requests_total').map((point) => [point.attributes.route, point.value, point.startTimeUnixNano]);

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('a shard changing its export settings, on simulated time', () => {
  it('sends what was aggregated to the old endpoint first; what it refuses goes, once, to the new one', async () => {
    const run = await inProcessShard();
    close = run.close;
    const { old, next, clock, shard, record, otlp } = run;
    record('/accepted', 5);
    await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000));
    const [[, , acceptedStart]] = requests(old);
    expect(requests(old)).toEqual([['/accepted', 5, acceptedStart]]);

    // The old backend is failing (the reason one switches): the hand-over export cannot deliver.
    old.respond = () => ({ status: 503 });
    record('/accepted', 2);
    record('/carried', 3);
    const windowStart = BigInt(clock.nowMillis()) * 1_000_000n;
    await onSimulatedTime(clock, shard.reconfigure(otlp({ endpoint: next.url })));
    expect(old.requests.length).toBeGreaterThan(1);
    expect(requests(old)).toEqual([['/accepted', 5, acceptedStart]]);
    expect(next.requests).toEqual([]);

    record('/new', 4);
    expect(await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000))).toEqual({ ok: true });
    // Everything pending, carried over in one window that starts where the last accepted export ended.
    expect(requests(next)).toEqual([
      ['/accepted', 2, windowStart],
      ['/carried', 3, windowStart],
      ['/new', 4, expect.any(BigInt)],
    ]);
    expect(requests(old)).toEqual([['/accepted', 5, acceptedStart]]);
  });

  it('re-arms the export timer on the new interval, counted from the change', async () => {
    const run = await inProcessShard();
    close = run.close;
    const { old, clock, shard, record, otlp } = run;
    shard.start();
    record('/before', 3);
    await onSimulatedTime(clock, shard.reconfigure(otlp({ exportIntervalMillis: 1_000 })));
    // The interval's change closed the old window at once, to the same endpoint.
    expect(requests(old).map(([route, value]) => [route, value])).toEqual([['/before', 3]]);
    const handedOver = old.requests.length;
    record('/after', 6);
    await clock.advance(999);
    expect(old.requests.length).toBe(handedOver);
    await clock.advance(1);
    await waitFor(() => old.requests.length === handedOver + 1, 5_000, 'the export on the new interval');
    await waitFor(() => requests(old).length === 2, 5_000, 'the second window');
    expect(requests(old).map(([route, value]) => [route, value])).toEqual([
      ['/before', 3],
      ['/after', 6],
    ]);
    // Stop the shard's timers.
    await onSimulatedTime(
      clock,
      (shard as unknown as { stop(id: number, deadline: number): Promise<void> }).stop(1, clock.nowMillis() + 2_000),
    );
  });
  it('a wrong key (401 from the old endpoint): the window since goes whole to the fixed endpoint, the old one is not asked again', async () => {
    const run = await inProcessShard();
    close = run.close;
    const { old, next, clock, shard, record, otlp } = run;
    // The collector started with a wrong key: the backend refuses every export for good (counted as dropped).
    old.respond = () => ({ status: 401, body: '{"message":"invalid ingestion key"}' });
    record('/refused', 2);
    const refused = await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000));
    expect(refused.ok).toBe(false);
    expect(old.requests.map((request) => request.points.length)).toEqual([expect.any(Number)]);
    const askedBefore = old.requests.length;

    record('/window', 5);
    record('/window-late', 3);
    // The user fixes the key (and the endpoint): the last request there failed, so no hand-over to it.
    await onSimulatedTime(clock, shard.reconfigure(otlp({ endpoint: next.url, headers: { 'signoz-ingestion-key': 'right' } })));
    expect(old.requests.length).toBe(askedBefore);
    record('/new', 4);
    expect(await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000))).toEqual({ ok: true });
    expect(requests(next).map(([route, value]) => [route, value])).toEqual([
      ['/window', 5],
      ['/window-late', 3],
      ['/new', 4],
    ]);
    expect(next.accepted.every((request) => request.headers['signoz-ingestion-key'] === 'right')).toBe(true);
    expect(old.accepted).toEqual([]);
  });

  it('a key revoked since the last accepted export: what the hand-over is refused (401) is carried to the new endpoint, not dropped', async () => {
    const run = await inProcessShard();
    close = run.close;
    const { old, next, clock, shard, record, otlp } = run;
    record('/accepted', 6);
    expect(await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000))).toEqual({ ok: true });
    old.respond = () => ({ status: 401 });
    record('/window', 7);
    await onSimulatedTime(clock, shard.reconfigure(otlp({ endpoint: next.url })));
    // The hand-over was tried (the last export there succeeded) and refused.
    expect(old.requests.length).toBe(2);
    expect(await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000))).toEqual({ ok: true });
    expect(requests(old).map(([route, value]) => [route, value])).toEqual([['/accepted', 6]]);
    expect(requests(next).map(([route, value]) => [route, value])).toEqual([['/window', 7]]);
  });

  it('no export yet under the old settings: the window is carried to the new endpoint, the old one never asked', async () => {
    const run = await inProcessShard();
    close = run.close;
    const { old, next, clock, shard, record, otlp } = run;
    record('/early', 9);
    await onSimulatedTime(clock, shard.reconfigure(otlp({ endpoint: next.url })));
    expect(old.requests).toEqual([]);
    expect(await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000))).toEqual({ ok: true });
    expect(requests(next).map(([route, value]) => [route, value])).toEqual([['/early', 9]]);
  });
});
