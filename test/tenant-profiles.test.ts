import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { KIND_HTTP, KIND_QUERY, QUERY_SUCCESS, tag } from '../dist/src/contract/codes.js';
import { ENDPOINT_SEPARATOR } from '../dist/src/contract/strings-layout.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';
import { StringTableWriter } from '../dist/src/strings/string-table.js';
import { Shard } from '../dist/workers/shard.js';
import { inProcessWorkerConfig } from './support/in-process-shard.js';
import { SimulatedClock } from './support/simulated-clock.js';

const MINUTE = 60_000;
const GET = 1;

/** A shard driven in-process on simulated time; records go through the real ring and string table. */
function shardOnSimulatedTime() {
  const clock = new SimulatedClock(28_333_334 * MINUTE); // a minute boundary
  const { port2 } = new MessageChannel();
  const config = inProcessWorkerConfig({
    ringCapacity: 16_384,
    otlp: { timeoutMillis: 1_000 },
    maxSeries: 1_000,
    maxMemoryBytes: 16 << 20,
    seriesIdleMillis: 3 * 86_400_000,
    exporters: ['none'],
  });
  const ring = new RingWriter(config.ringCapacity, config.maxMemoryBytes);
  const strings = new StringTableWriter(config.stringTableEntries, 4_096);
  const shard = new Shard({ shard: 0, ring: ring.buffer, strings: strings.buffer, port: port2, config }, clock);
  const route = strings.append(`/orders${ENDPOINT_SEPARATOR}api`);
  const ids = new Map<string, number>();
  const tenant = (name: string) => {
    let id = ids.get(name);
    if (id === undefined) {
      id = strings.append(name);
      ids.set(name, id);
    }
    return id;
  };
  return {
    clock,
    tenantId: tenant,
    shard,
    http(name: string, status: number, seconds: number, count = 1) {
      for (let i = 0; i < count; i++) ring.writeWithByteCounts(tag(KIND_HTTP, GET, status), route, tenant(name), seconds, 100, 1_000);
    },
    query(name: string, table: string, seconds: number, ok: boolean) {
      const tableId = tenant(table);
      ring.write(tag(KIND_QUERY, (ok ? QUERY_SUCCESS : 0) | (1 << 4), 0), tableId, tenant(name), 0, seconds, 3, 10);
    },
    async at(minute: number, run: () => void) {
      const target = 28_333_334 * MINUTE + minute * MINUTE;
      await clock.advance(target - clock.nowMillis());
      run();
      shard.drain(1 << 20);
    },
  };
}

describe('tenant profiles', () => {
  it('puts scripted tenants in the right activity pattern, with exact counts', async () => {
    const s = shardOnSimulatedTime();
    const old = ['steady', 'bursty', 'heavy', 'light'];
    await s.at(0, () => {
      for (const name of old) s.http(name, 200, 0.01);
    });
    // A day later (past the 24 h onboarding window), one scripted hour: minutes 1440..1499.
    const day = 24 * 60;
    for (let m = 0; m < 60; m++) {
      await s.at(day + m, () => {
        s.http('steady', 200, 0.02); // 60/h, every minute
        if (m >= 10 && m < 15) s.http('bursty', 200, 0.05, 100); // 500 in 5 minutes, idle otherwise
        s.http('heavy', m % 10 === 0 ? 500 : 200, 0.1, m < 20 ? 84 : 83); // 5,000/h, steady
        if (m < 25) s.http('light', 404, 0.2, 2); // 50/h over 25 minutes
        if (m === 59) s.http('new', 200, 0.3);
      });
    }
    const answer = s.shard.profiles.analytics({ all: true }, s.clock.nowMillis());
    const byName = new Map(answer.tenants.map((t) => [t.tenant, t]));
    expect(Object.fromEntries([...byName].map(([name, t]) => [name, t.pattern]))).toEqual({
      steady: 'real_time',
      bursty: 'batch_processing',
      heavy: 'high_volume',
      light: 'low_volume',
      new: 'onboarding',
    });
    expect(Object.fromEntries([...byName].map(([name, t]) => [name, t.requestsLastHour]))).toEqual({
      steady: 60,
      bursty: 500,
      heavy: 5_000,
      light: 50,
      new: 1,
    });
    const heavy = byName.get('heavy');
    expect(heavy?.requests).toBe(5_001);
    expect(heavy?.serverErrors).toBe(2 * 84 + 4 * 83);
    expect(byName.get('light')?.clientErrors).toBe(50);
    expect(heavy?.requestBytes).toBe(500_100);
    expect(heavy?.responseBytes).toBe(5_001_000);
    expect(heavy?.firstSeenMillis).toBe(28_333_334 * MINUTE);
    expect(heavy?.lastSeenMillis).toBe(28_333_334 * MINUTE + (day + 59) * MINUTE);
    expect(heavy?.endpoints).toEqual([
      {
        method: 'GET',
        route: '/orders',
        requests: 5_001,
        serverErrors: 500,
        clientErrors: 0,
        durationSumSeconds: expect.closeTo(500.01, 6),
        requestBytes: 500_100,
        responseBytes: 5_001_000,
        requestsLastHour: 5_000,
      },
    ]);
    expect(answer.routes.map((r) => [r.method, r.route, r.latency.count])).toEqual([['GET', '/orders', 5_000 + 500 + 60 + 50 + 1 + 4]]);
  });

  it('answers a selection, counts queries per table, and forgets a tenant', async () => {
    const s = shardOnSimulatedTime();
    await s.at(0, () => {
      s.http('a', 200, 0.01, 3);
      s.http('b', 200, 0.01, 2);
      s.query('a', 'orders', 0.002, true);
      s.query('a', 'orders', 0.9, false);
    });
    const only = s.shard.profiles.analytics({ all: false, tenants: ['a'] }, s.clock.nowMillis());
    expect(only.tenants.map((t) => t.tenant)).toEqual(['a']);
    expect(only.tenants[0].tables).toEqual([
      { table: 'orders', queryType: 'SELECT', queries: 2, errors: 1, durationSumSeconds: 0.902, slowQueries: 1 },
    ]);
    expect(only.database).toMatchObject({ connectionsInUse: 3, maxConnections: 10 });
    expect(only.database.latency.count).toBe(2);
    s.shard.profiles.forgetIds(new Set([s.tenantId('a')]));
    const after = s.shard.profiles.analytics({ all: true }, s.clock.nowMillis());
    expect(after.tenants.map((t) => t.tenant)).toEqual(['b']);
    expect(s.shard.profiles.tenantCount).toBe(1);
  });
});
