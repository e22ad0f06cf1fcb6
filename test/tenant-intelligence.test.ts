import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { KIND_HTTP, KIND_QUERY, KIND_TENANT_USAGE, QUERY_SUCCESS, USAGE_BYTES, tag } from '../dist/src/contract/codes.js';
import { ENDPOINT_SEPARATOR, OVERFLOW_ID } from '../dist/src/contract/strings-layout.js';
import type { WorkerConfig } from '../dist/src/contract/worker-config.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';
import { LogSketch } from '../dist/src/sketch/log-sketch.js';
import { StringTableWriter } from '../dist/src/strings/string-table.js';
import { Shard } from '../dist/workers/shard.js';
import { pointsNamed, valuesByLabels } from './support/harness.js';
import { inProcessWorkerConfig, onSimulatedTime } from './support/in-process-shard.js';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { SimulatedClock } from './support/simulated-clock.js';

const MINUTE = 60_000;
const START = 28_333_334 * MINUTE; // a minute boundary
const GET = 1;

/**
 * A shard driven in-process on simulated time, exporting over real HTTP to the test receiver; records go through
 * the real ring and string table. Exports happen only when the test asks (the timer's interval is ten days).
 */
async function shardOnSimulatedTime(activity: Partial<WorkerConfig['activity']> = {}) {
  const receiver = await new OtlpReceiver().start();
  const clock = new SimulatedClock(START);
  const { port1, port2 } = new MessageChannel();
  const defaults = inProcessWorkerConfig();
  const config = inProcessWorkerConfig({
    ringCapacity: 16_384,
    otlp: { endpoint: receiver.url, timeoutMillis: 2_000, exportIntervalMillis: 10 * 86_400_000, batchSize: 10_000 },
    maxSeries: 1_000,
    maxMemoryBytes: 16 << 20,
    seriesIdleMillis: 30 * 86_400_000,
    activity: { ...defaults.activity, ...activity },
  });
  const ring = new RingWriter(config.ringCapacity, config.maxMemoryBytes);
  const strings = new StringTableWriter(config.stringTableEntries, 4_096);
  const shard = new Shard({ shard: 0, ring: ring.buffer, strings: strings.buffer, port: port2, config }, clock);
  const route = strings.append(`/orders${ENDPOINT_SEPARATOR}api`);
  const ids = new Map<string, number>([['__overflow__', OVERFLOW_ID]]);
  const id = (name: string) => {
    let known = ids.get(name);
    if (known === undefined) {
      known = strings.append(name);
      ids.set(name, known);
    }
    return known;
  };
  const bytesType = id('bytes');
  return {
    clock,
    receiver,
    shard,
    tenantId: id,
    http(name: string, status: number, seconds: number, count = 1, requestBytes = 100, responseBytes = 1_000) {
      for (let i = 0; i < count; i++)
        ring.writeWithByteCounts(tag(KIND_HTTP, GET, status), route, id(name), seconds, requestBytes, responseBytes);
    },
    query(name: string, seconds: number) {
      ring.write(tag(KIND_QUERY, QUERY_SUCCESS | (1 << 4), 0), id('orders'), id(name), 0, seconds, 0, 0);
    },
    /** recordTenantResource as the collector writes it with dataType 'bytes'. */
    usageBytes(name: string, resource: string, bytes: number) {
      ring.write(tag(KIND_TENANT_USAGE, USAGE_BYTES, 0), id(resource), id(name), bytesType, bytes, 0, 0);
    },
    async at(minute: number, run: () => void) {
      await clock.advance(START + minute * MINUTE - clock.nowMillis());
      run();
      shard.drain(1 << 20);
    },
    /** One export (closing one interval); returns the points the receiver got from it. */
    async exportInterval() {
      receiver.clear();
      const outcome = await onSimulatedTime(clock, shard.requestExport(clock.nowMillis() + 2_000));
      expect(outcome).toEqual({ ok: true });
      return receiver.points;
    },
    analytics() {
      return new Map(shard.profiles.analytics({ all: true }, clock.nowMillis()).tenants.map((t) => [t.tenant, t]));
    },
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

/** The scripted tenants: one old hour a day after most were first seen, and two younger tenants. */
async function scriptedHour(s: Awaited<ReturnType<typeof shardOnSimulatedTime>>) {
  const day = 24 * 60;
  await s.at(0, () => {
    for (const name of ['steady', 'bursty', 'heavy', 'light']) s.http(name, 200, 0.01);
  });
  await s.at(day - 61, () => s.http('recent', 200, 0.01));
  for (let m = 0; m < 60; m++) {
    await s.at(day + m, () => {
      s.http('steady', 200, 0.02); // 60/h, every minute
      if (m >= 10 && m < 15) s.http('bursty', 200, 0.05, 100); // 500 in 5 minutes, idle otherwise
      s.http('heavy', 200, 0.1, m < 20 ? 84 : 83); // 5,000/h, steady
      if (m < 25) s.http('light', 200, 0.2, 2); // 50/h over 25 minutes
      s.http('recent', 200, 0.01, 2); // 120/h, steady, first seen two hours ago
      if (m === 59) s.http('new', 200, 0.3); // brand new
    });
  }
}

describe('activity patterns, exported as tenant_activity_pattern', () => {
  it('puts the scripted tenants in their pattern with the default thresholds', async () => {
    const s = await shardOnSimulatedTime();
    close = s.close;
    await scriptedHour(s);
    const points = await s.exportInterval();
    expect(valuesByLabels(points, 'tenant_activity_pattern')).toEqual({
      'pattern=real_time,tenant_id=steady': 1,
      'pattern=batch_processing,tenant_id=bursty': 1,
      'pattern=high_volume,tenant_id=heavy': 1,
      'pattern=low_volume,tenant_id=light': 1,
      'pattern=onboarding,tenant_id=recent': 1,
      'pattern=onboarding,tenant_id=new': 1,
    });
    expect(pointsNamed(points, 'tenant_activity_pattern').every((p) => p.type === 'gauge')).toBe(true);
    const byName = s.analytics();
    expect(Object.fromEntries([...byName].map(([name, t]) => [name, t.pattern]))).toEqual({
      steady: 'real_time',
      bursty: 'batch_processing',
      heavy: 'high_volume',
      light: 'low_volume',
      recent: 'onboarding',
      new: 'onboarding',
    });
  });

  it('follows custom thresholds, and sends 0 once for a pattern a tenant left', async () => {
    const s = await shardOnSimulatedTime({
      highVolumeRequestsPerHour: 10_000,
      mediumVolumeRequestsPerHour: 40,
      onboardingWindowMillis: 3_600_000,
      burstMinIdleMinutes: 56,
      steadyMinActiveMinutes: 60,
    });
    close = s.close;
    await scriptedHour(s);
    // 5,000/h is below 10,000; 50/h is at least 40; 55 idle minutes are fewer than 56; 'recent' is two hours old.
    expect(valuesByLabels(await s.exportInterval(), 'tenant_activity_pattern')).toEqual({
      'pattern=real_time,tenant_id=steady': 1,
      'pattern=medium_volume,tenant_id=bursty': 1,
      'pattern=real_time,tenant_id=heavy': 1,
      'pattern=medium_volume,tenant_id=light': 1,
      'pattern=real_time,tenant_id=recent': 1,
      'pattern=onboarding,tenant_id=new': 1,
    });
    // An hour later only 'steady' (29 active minutes of the last 60: no longer real_time) and 'new' (one request,
    // past its hour of onboarding: a burst of one, so batch_processing) had requests in the last hour; the others
    // get no pattern, and a 0 once for the one they had.
    for (let m = 60; m < 90; m++) {
      await s.at(24 * 60 + m, () => {
        s.http('steady', 200, 0.02);
        if (m === 89) s.http('new', 200, 0.3);
      });
    }
    await s.at(24 * 60 + 120, () => {});
    expect(valuesByLabels(await s.exportInterval(), 'tenant_activity_pattern')).toEqual({
      'pattern=real_time,tenant_id=steady': 0,
      'pattern=low_volume,tenant_id=steady': 1,
      'pattern=onboarding,tenant_id=new': 0,
      'pattern=batch_processing,tenant_id=new': 1,
      'pattern=real_time,tenant_id=heavy': 0,
      'pattern=real_time,tenant_id=recent': 0,
      'pattern=medium_volume,tenant_id=bursty': 0,
      'pattern=medium_volume,tenant_id=light': 0,
    });
  });
});

/** |a − b| ≤ 1e-12. */
function expectExact(actual: number | undefined, expected: number, what: string): void {
  expect(Math.abs((actual ?? Number.NaN) - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-12);
}

describe('cost shares, exported as tenant_cost_share', () => {
  it('gives each tenant its share of the interval, summing to 1 per resource, __overflow__ as one tenant', async () => {
    const s = await shardOnSimulatedTime();
    close = s.close;
    await s.at(0, () => {
      s.http('a', 200, 0.1, 3, 100, 1_000); // 0.3 s, 3,300 bytes
      s.http('b', 500, 0.3, 1, 50, 50); // 0.3 s, 100 bytes
      s.http('__overflow__', 200, 0.6, 2, 0, 0); // 1.2 s, 0 bytes: tenants beyond maxTenants, one tenant here
      s.query('a', 0.2);
      s.query('c', 0.6);
      s.usageBytes('c', 'storage', 400);
    });
    const first = await s.exportInterval();
    const shares = valuesByLabels(first, 'tenant_cost_share');
    const expected: Record<string, number> = {
      'resource=request_time,tenant_id=a': 0.3 / 1.8,
      'resource=request_time,tenant_id=b': 0.3 / 1.8,
      'otel.metric.overflow=true,resource=request_time,tenant_id=__overflow__': 1.2 / 1.8,
      'resource=request_time,tenant_id=c': 0,
      'resource=database_time,tenant_id=a': 0.2 / 0.8,
      'resource=database_time,tenant_id=b': 0,
      'otel.metric.overflow=true,resource=database_time,tenant_id=__overflow__': 0,
      'resource=database_time,tenant_id=c': 0.6 / 0.8,
      'resource=bytes,tenant_id=a': 3_300 / 3_800,
      'resource=bytes,tenant_id=b': 100 / 3_800,
      'otel.metric.overflow=true,resource=bytes,tenant_id=__overflow__': 0,
      'resource=bytes,tenant_id=c': 400 / 3_800,
    };
    expect(Object.keys(shares).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) expectExact(shares[key], value, key);
    for (const resource of ['request_time', 'database_time', 'bytes']) {
      const sum = pointsNamed(first, 'tenant_cost_share')
        .filter((p) => p.attributes.resource === resource)
        .reduce((total, p) => total + (p.value ?? 0), 0);
      expectExact(sum, 1, `sum of ${resource}`);
    }
    const answer = s.analytics();
    expect(answer.get('c')?.costShare).toEqual({ request_time: 0, database_time: 0.6 / 0.8, bytes: 400 / 3_800 });
    expect(answer.get('c')?.processedBytes).toEqual({ request: 0, response: 0, storage: 400 });

    // The next interval holds only what came after the first export. Nobody used the database: database_time is 0
    // for everyone. b, c and __overflow__ did nothing: 0 once, then no points.
    await s.at(1, () => {
      s.http('a', 200, 0.25, 1, 10, 10);
      s.http('d', 200, 0.75, 1, 30, 10);
    });
    const second = valuesByLabels(await s.exportInterval(), 'tenant_cost_share');
    const expectedSecond: Record<string, number> = {
      'resource=request_time,tenant_id=a': 0.25,
      'resource=request_time,tenant_id=d': 0.75,
      'resource=database_time,tenant_id=a': 0,
      'resource=database_time,tenant_id=d': 0,
      'resource=bytes,tenant_id=a': 20 / 60,
      'resource=bytes,tenant_id=d': 40 / 60,
    };
    for (const name of ['b', 'c']) {
      for (const resource of ['request_time', 'database_time', 'bytes']) expectedSecond[`resource=${resource},tenant_id=${name}`] = 0;
    }
    for (const resource of ['request_time', 'database_time', 'bytes']) {
      expectedSecond[`otel.metric.overflow=true,resource=${resource},tenant_id=__overflow__`] = 0;
    }
    expect(Object.keys(second).sort()).toEqual(Object.keys(expectedSecond).sort());
    for (const [key, value] of Object.entries(expectedSecond)) expectExact(second[key], value, key);
    await s.at(2, () => s.http('a', 200, 0.5, 1, 0, 0));
    expect(valuesByLabels(await s.exportInterval(), 'tenant_cost_share')).toEqual({
      'resource=request_time,tenant_id=a': 1,
      'resource=database_time,tenant_id=a': 0,
      'resource=bytes,tenant_id=a': 0,
      'resource=request_time,tenant_id=d': 0,
      'resource=database_time,tenant_id=d': 0,
      'resource=bytes,tenant_id=d': 0,
    });
    expect(s.analytics().get('b')?.costShare).toBeNull();
  });
});

describe('anomalies, exported as tenant_anomaly', () => {
  it("flags an error spike and a latency spike against the tenant's own baseline, not a steady tenant", async () => {
    const s = await shardOnSimulatedTime();
    close = s.close;
    const intervals: Record<string, number>[] = [];
    for (let i = 0; i < 9; i++) {
      await s.at(i, () => {
        const spike = i === 7;
        // Steady: 1 % errors, 50 ms, every interval.
        s.http('steady', 500, 0.05, 1);
        s.http('steady', 200, 0.05, 99);
        // Errors: the same, but 40 % errors in interval 8.
        s.http('errors', 500, 0.05, spike ? 40 : 1);
        s.http('errors', 200, 0.05, spike ? 60 : 99);
        // Latency: the same, but 10 % of its requests take 500 ms in interval 8 (its p95 goes tenfold).
        s.http('latency', 500, 0.05, 1);
        s.http('latency', 200, 0.05, spike ? 89 : 99);
        if (spike) s.http('latency', 200, 0.5, 10);
        // Young: a spike in interval 3, inside the warm-up of five intervals.
        s.http('young', 500, 0.05, i === 2 ? 50 : 1);
        s.http('young', 200, 0.05, i === 2 ? 50 : 99);
        // Sparse: all errors in interval 8, but only 10 requests: too few to judge.
        s.http('sparse', spike ? 500 : 200, 0.05, spike ? 10 : 100);
      });
      intervals.push(valuesByLabels(await s.exportInterval(), 'tenant_anomaly'));
      if (i === 7) {
        const answer = s.analytics();
        expect(answer.get('errors')?.anomalies).toEqual([
          { signal: 'error_rate', value: 0.4, baseline: 0.01, sinceMillis: START + 7 * MINUTE },
        ]);
        // The p95 of the interval as the tenant's sketch gives it (within 1 % of the sample value, 0.5), and the
        // baseline: the steady intervals' p95 (within 1 % of 0.05).
        const sketch = new LogSketch();
        for (let r = 0; r < 100; r++) sketch.add(0.05);
        const steadyP95 = sketch.quantileSince(new LogSketch().mark(), 0.95);
        const mark = sketch.mark();
        for (let r = 0; r < 90; r++) sketch.add(0.05);
        for (let r = 0; r < 10; r++) sketch.add(0.5);
        const spikeP95 = sketch.quantileSince(mark, 0.95);
        expect(answer.get('latency')?.anomalies).toEqual([
          { signal: 'latency_p95', value: spikeP95, baseline: steadyP95, sinceMillis: START + 7 * MINUTE },
        ]);
        expect(Math.abs(spikeP95 / 0.5 - 1)).toBeLessThanOrEqual(0.01);
        expect(Math.abs(steadyP95 / 0.05 - 1)).toBeLessThanOrEqual(0.01);
        for (const name of ['steady', 'young', 'sparse']) expect(answer.get(name)?.anomalies, name).toEqual([]);
      }
    }
    expect(intervals).toEqual([
      {},
      {},
      {},
      {},
      {},
      {},
      {},
      { 'signal=error_rate,tenant_id=errors': 1, 'signal=latency_p95,tenant_id=latency': 1 },
      // Back to normal: 0 once.
      { 'signal=error_rate,tenant_id=errors': 0, 'signal=latency_p95,tenant_id=latency': 0 },
    ]);
    expect(s.analytics().get('errors')?.anomalies).toEqual([]);
  });
});

describe('tenant state at the forget point', () => {
  it('drops the interval figures, baselines and usage bytes with the profile', async () => {
    const s = await shardOnSimulatedTime();
    close = s.close;
    await s.at(0, () => {
      s.http('gone', 200, 0.1, 30);
      s.usageBytes('gone', 'storage', 5);
      s.http('kept', 200, 0.1, 30);
    });
    await s.exportInterval();
    const before = s.shard.profiles.tenantCount;
    expect(s.analytics().get('gone')?.processedBytes).toEqual({ request: 3_000, response: 30_000, storage: 5 });
    // After the export nothing is pending: the forget point lets 'gone' go ('kept' is not asked).
    const outcome = s.shard.forgetTenants([s.tenantId('gone')]);
    expect(outcome).toEqual({ forgotten: [s.tenantId('gone')], kept: [] });
    expect(s.shard.profiles.tenantCount).toBe(before - 1);
    // Come back: a fresh profile, with no baseline, no share of the past, no usage bytes.
    await s.at(1, () => s.http('gone', 200, 0.1, 1));
    const fresh = s.analytics().get('gone');
    expect(fresh).toMatchObject({ requests: 1, costShare: null, anomalies: [], processedBytes: { request: 100, response: 1_000 } });
    expect(valuesByLabels(await s.exportInterval(), 'tenant_cost_share')).toEqual({
      'resource=request_time,tenant_id=gone': 1,
      'resource=database_time,tenant_id=gone': 0,
      'resource=bytes,tenant_id=gone': 1,
      'resource=request_time,tenant_id=kept': 0,
      'resource=database_time,tenant_id=kept': 0,
      'resource=bytes,tenant_id=kept': 0,
    });
  });
});
