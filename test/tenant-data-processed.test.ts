import { afterEach, describe, expect, it } from 'vitest';
import type { Collector } from '../dist/src/index.js';
import { internals } from '../dist/src/internal.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline, valuesByLabels } from './support/harness.js';

let collector: Collector | undefined;
let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await collector?.shutdown({ timeoutMillis: 2_000 }).catch(() => {});
  await receiver?.stop();
  collector = undefined;
  receiver = undefined;
});

describe('tenant_data_processed_bytes through a real collector and worker', () => {
  it("counts request and response bytes and recordTenantResource usage whose dataType is 'bytes', exactly", async () => {
    ({ collector, receiver } = await startPipeline({ workers: 2 }));
    for (let i = 0; i < 7; i++) {
      collector.recordHttp({
        method: 'POST',
        route: '/upload',
        statusCode: 201,
        tenantId: i < 4 ? 'acme' : 'globex',
        durationSeconds: 0.02,
        requestBytes: 1_000 + i,
        responseBytes: 10,
      });
    }
    collector.recordTenantResource({ tenantId: 'acme', resourceType: 'storage', usage: 4_096, dataType: 'bytes' });
    collector.recordTenantResource({ tenantId: 'acme', resourceType: 'storage', usage: 1_024, dataType: 'bytes' });
    collector.recordTenantResource({ tenantId: 'acme', resourceType: 'export', usage: 5e9, dataType: 'bytes' });
    collector.recordTenantResource({ tenantId: 'globex', resourceType: 'storage', usage: 7, dataType: 'bytes' });
    // Not bytes: usage only.
    collector.recordTenantResource({ tenantId: 'globex', resourceType: 'emails', usage: 3, dataType: 'count' });
    collector.recordTenantResource({ tenantId: 'globex', resourceType: 'compute', usage: 2.5 });
    // 'request' and 'response' are the HTTP bodies' data types: refused with dataType 'bytes', and counted.
    collector.recordTenantResource({ tenantId: 'globex', resourceType: 'request', usage: 99, dataType: 'bytes' });
    await collector.flush();

    expect(valuesByLabels(receiver.points, 'tenant_data_processed_bytes')).toEqual({
      'data_type=request,tenant_id=acme': 1_000 + 1_001 + 1_002 + 1_003,
      'data_type=response,tenant_id=acme': 40,
      'data_type=request,tenant_id=globex': 1_004 + 1_005 + 1_006,
      'data_type=response,tenant_id=globex': 30,
      'data_type=storage,tenant_id=acme': 5_120,
      'data_type=export,tenant_id=acme': 5e9,
      'data_type=storage,tenant_id=globex': 7,
    });
    expect(valuesByLabels(receiver.points, 'tenant_resource_usage_total')).toEqual({
      'data_type=bytes,resource_type=storage,tenant_id=acme': 5_120,
      'data_type=bytes,resource_type=export,tenant_id=acme': 5e9,
      'data_type=bytes,resource_type=storage,tenant_id=globex': 7,
      'data_type=count,resource_type=emails,tenant_id=globex': 3,
      'data_type=unknown,resource_type=compute,tenant_id=globex': 2.5,
    });
    expect(collector.stats().rejectedBy).toEqual({ 'recordTenantResource.resourceType': 1 });

    // The analytics answer counts the same bytes by data type.
    const answers = await internals(collector).reads.analytics({ all: true }, 5_000);
    const byName = Object.fromEntries(answers.flatMap((shard) => shard.tenants).map((t) => [t.tenant, t.processedBytes]));
    expect(byName).toEqual({
      acme: { request: 4_006, response: 40, storage: 5_120, export: 5e9 },
      globex: { request: 3_015, response: 30, storage: 7 },
    });

    // Settled: a second export sends none of it again.
    receiver.clear();
    collector.recordTenantResource({ tenantId: 'acme', resourceType: 'storage', usage: 1, dataType: 'bytes' });
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'tenant_data_processed_bytes')).toEqual({ 'data_type=storage,tenant_id=acme': 1 });
  });

  it('closes an interval per export with the thresholds given to the collector', async () => {
    // With no onboarding window a brand-new tenant's single burst is batch_processing, not onboarding.
    ({ collector, receiver } = await startPipeline({ onboardingWindowMillis: 0 }));
    for (let i = 0; i < 3; i++) {
      collector.recordHttp({ method: 'GET', route: '/a', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
    }
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'tenant_activity_pattern')).toEqual({ 'pattern=batch_processing,tenant_id=acme': 1 });
    expect(valuesByLabels(receiver.points, 'tenant_cost_share')).toEqual({
      'resource=request_time,tenant_id=acme': 1,
      'resource=database_time,tenant_id=acme': 0,
      'resource=bytes,tenant_id=acme': 0,
    });
  });
});
