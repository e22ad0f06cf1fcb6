import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../dist/src/index.js';
import { internals } from '../dist/src/internal.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline } from './support/harness.js';

describe('tenant analytics through a real collector', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
    for (let i = 0; i < 30; i++) {
      collector.recordHttp({
        method: 'GET',
        route: '/orders/:id',
        statusCode: i % 10 === 0 ? 503 : 200,
        tenantId: i < 20 ? 'acme' : 'globex',
        durationSeconds: 0.01 * (1 + (i % 5)),
        requestBytes: 10,
        responseBytes: 200,
      });
    }
  });

  afterAll(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('answers every tenant of the shard with exact counts', async () => {
    const [shard, ...more] = await internals(collector).reads.analytics({ all: true }, 5_000);
    expect(more).toEqual([]);
    const byName = Object.fromEntries(shard.tenants.map((t) => [t.tenant, t]));
    expect(Object.keys(byName).sort()).toEqual(['acme', 'globex']);
    expect(byName.acme).toMatchObject({ requests: 20, serverErrors: 2, clientErrors: 0, requestBytes: 200, responseBytes: 4_000 });
    expect(byName.acme.requestsLastHour).toBe(20);
    expect(byName.acme.pattern).toBe('onboarding');
    expect(byName.acme.latency.count).toBe(20);
    expect(byName.globex).toMatchObject({ requests: 10, serverErrors: 1 });
    expect(byName.globex.endpoints.map((e) => [e.method, e.route, e.requests])).toEqual([['GET', '/orders/:id', 10]]);
    expect(shard.routes.map((r) => [r.method, r.route, r.latency.count])).toEqual([['GET', '/orders/:id', 30]]);
  });

  it('answers only the tenants named', async () => {
    const [shard] = await internals(collector).reads.analytics({ all: false, tenants: ['globex', 'nobody'] }, 5_000);
    expect(shard.tenants.map((t) => [t.tenant, t.requests])).toEqual([['globex', 10]]);
  });
});
