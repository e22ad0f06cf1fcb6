import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_LIMITS, type Collector } from 'ringmeter';
import type { OtlpReceiver, ReceivedPoint } from './support/otlp-receiver.js';
import { pointsNamed, startPipeline } from './support/harness.js';

const MAX = LABEL_LIMITS.tenantId;

/**
 * 1,000 distinct, valid tenant ids: ASCII, accented, CJK, emoji (surrogate pairs), and maximum-length ones. As
 * many as the default memory bound gives state of their own (more would be folded into __overflow__:
 * memory-bound.test.ts).
 */
function tenantIds(): string[] {
  const ids: string[] = [];
  const alphabets = ['tenant', 'société', '租户', 'ärzte-gmbh', '🏢'];
  for (let i = 0; ids.length < 990; i++) ids.push(`${alphabets[i % alphabets.length]}-${i}`);
  // Maximum length, in UTF-16 code units: plain, 3-byte UTF-8, and surrogate pairs that end exactly at the cap.
  for (let i = 0; i < 10; i++) {
    const stem = `${i}-`;
    const filler = i % 3 === 0 ? 'x' : i % 3 === 1 ? '語' : '😀';
    let id = stem;
    while (id.length + filler.length <= MAX) id += filler;
    while (id.length < MAX) id += 'y';
    ids.push(id);
  }
  return ids;
}

describe('tenant ids as labels', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let points: ReceivedPoint[];
  const ids = tenantIds();
  const rejectedIds = [
    'x'.repeat(MAX + 1),
    `${'語'.repeat(MAX)}!`,
    'line\nbreak',
    'nul\u0000byte',
    'c1\u0085control',
    'lone\ud800surrogate',
  ];

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline({ maxTenants: 1_000 }));
    for (const tenantId of [...ids, ...rejectedIds]) {
      collector.recordTenantResource({ tenantId, resourceType: 'storage', usage: 1, dataType: 'bytes' });
    }
    await collector.flush();
    points = pointsNamed(receiver.points, 'tenant_resource_usage_total');
  });

  afterAll(async () => {
    await collector.shutdown();
    await receiver.stop();
  });

  it('test data holds 1,000 distinct ids, some at exactly the maximum length', () => {
    expect(new Set(ids).size).toBe(1_000);
    expect(ids.filter((id) => id.length === MAX).length).toBe(10);
    expect(ids.some((id) => /[\ud800-\udbff]/.test(id))).toBe(true);
  });

  it('delivers every valid id exactly as given, once', () => {
    const labels = points.map((point) => point.attributes.tenant_id as string).filter((label) => label !== 'invalid');
    expect(labels.length).toBe(1_000);
    expect(new Set(labels)).toEqual(new Set(ids));
    for (const point of points) if (point.attributes.tenant_id !== 'invalid') expect(point.value).toBe(1);
  });

  it('records longer ids and ids with control characters or lone surrogates under "invalid", keeping the counts', () => {
    const invalid = points.filter((point) => point.attributes.tenant_id === 'invalid');
    expect(invalid).toHaveLength(1);
    expect(invalid[0].value).toBe(rejectedIds.length);
    const allLabels = JSON.stringify(receiver.requests.map((request) => request.points.map((p) => p.attributes)));
    expect(allLabels).not.toContain('x'.repeat(MAX + 1));
  });

  it('records a tenant beyond maxTenants as "__overflow__" with otel.metric.overflow=true', async () => {
    receiver.clear();
    collector.recordTenantResource({ tenantId: 'tenant-number-1001', resourceType: 'storage', usage: 5, dataType: 'bytes' });
    collector.recordTenantResource({ tenantId: 'tenant-number-1002', resourceType: 'storage', usage: 7, dataType: 'bytes' });
    await collector.flush();
    const usage = pointsNamed(receiver.points, 'tenant_resource_usage_total');
    expect(usage).toHaveLength(1);
    expect(usage[0].attributes).toEqual({
      resource_type: 'storage',
      data_type: 'bytes',
      tenant_id: '__overflow__',
      'otel.metric.overflow': true,
    });
    expect(usage[0].value).toBe(12);
  });
});
