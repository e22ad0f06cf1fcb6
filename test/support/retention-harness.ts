// Shared by test/tenant-retention.test.ts and test/tenant-retention.scale.test.ts.
import { MessageChannel } from 'node:worker_threads';
import { expect } from 'vitest';
import { KIND_HTTP, KIND_TENANT_USAGE, tag } from '../../dist/src/contract/codes.js';
import type { MainToWorker, WorkerToMain } from '../../dist/src/contract/protocol.js';
import { ENDPOINT_SEPARATOR, TENANT_ID_BASE } from '../../dist/src/contract/strings-layout.js';
import { RingWriter } from '../../dist/src/ring/ring-writer.js';
import { InternBudget, TenantInterner } from '../../dist/src/strings/interner.js';
import { StringTableWriter } from '../../dist/src/strings/string-table.js';
import { TenantSlots } from '../../dist/src/strings/tenant-slots.js';
import { RetentionHandshake } from '../../dist/src/supervisor/retention-handshake.js';
import { Shard } from '../../dist/workers/shard.js';
import { inProcessWorkerConfig } from './in-process-shard.js';
import { SimulatedClock } from './simulated-clock.js';

const GET = 1;
export const RETENTION_MILLIS = 20;
const gc = (globalThis as { gc?: () => void }).gc as () => void;

export function heapAfterGc(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Yields to the event loop until `condition` holds (port messages between the two halves are delivered there). */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 100_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Both halves of tenant retention in one thread: the main thread's tenant interner, slots, ring writer and
 * handshake (what the Recorder and the ShardSupervisor run), and a real Shard on simulated time, joined by a real
 * MessagePort pair. Exports settle without OTLP (every batch committed into the shard's totals, as with the
 * prometheus exporter), and the totals are read back with `render`, the protocol's GET /metrics message.
 */
export function retentionHarness(
  maxTenants: number,
  hooks: { afterRetire?: (forget: MainToWorker) => void } = {},
  /** The shard's memory bound (what the worker config carries: maxMemoryBytes / workers). */
  maxMemoryBytes = 64 << 20,
) {
  const clock = new SimulatedClock();
  const { port1, port2 } = new MessageChannel();
  const config = inProcessWorkerConfig({
    ringCapacity: 16_384,
    tenantSlots: maxTenants,
    tenantRetentionMillis: RETENTION_MILLIS,
    maxSeries: 4 * maxTenants,
    maxMemoryBytes,
    exporters: ['none'],
  });
  const strings = new StringTableWriter(config.stringTableEntries, 4_096, maxTenants);
  const slots = new TenantSlots(maxTenants, 1, TENANT_ID_BASE);
  const tenants = new TenantInterner(strings, slots, new InternBudget(maxTenants), 128);
  const ring = new RingWriter(config.ringCapacity, config.maxMemoryBytes, { ring: slots.ringStamp, segments: slots.segmentStamp });
  const handshake = new RetentionHandshake(0, ring, slots);
  const shard = new Shard({ shard: 0, ring: ring.buffer, strings: strings.buffer, port: port2, config }, clock);
  const route = strings.append(`/orders${ENDPOINT_SEPARATOR}api`);
  const resource = strings.append('storage');
  const dataType = strings.append('bytes');
  const last: { rendered: string | undefined } = { rendered: undefined };
  const seen = { idle: 0, forgotten: 0 };
  port1.on('message', (message: WorkerToMain) => {
    let answer: MainToWorker | undefined;
    if (message.type === 'tenantsIdle') {
      seen.idle += message.ids.length;
      answer = handshake.onIdle(message);
      if (answer !== undefined) hooks.afterRetire?.(answer);
    } else if (message.type === 'tenantsForgotten') {
      seen.forgotten += message.ids.length;
      answer = handshake.onForgotten(message);
    } else if (message.type === 'rendered') {
      last.rendered = message.families.map((family) => Buffer.concat(family.samples).toString('utf8')).join('');
    }
    if (answer !== undefined) port1.postMessage(answer);
  });
  shard.start();
  return {
    clock,
    slots,
    handshake,
    shard,
    /** The ring's header: what the worker publishes (SERIES_BYTES, the tenants it holds and folded…). */
    header: ring.header,
    seen,
    tenant: (name: string) => tenants.intern(name),
    request(tenant: number) {
      ring.writeWithByteCounts(tag(KIND_HTTP, GET, 200), route, tenant, 0.01, 100, 1_000);
    },
    usage(tenant: number, amount: number) {
      ring.write(tag(KIND_TENANT_USAGE, 0, 0), resource, tenant, dataType, amount, 0, 0);
    },
    async exportNow() {
      const outcome = await shard.requestExport(clock.nowMillis() + 1_000);
      expect(outcome).toEqual({ ok: true });
    },
    /**
     * Each of `metrics` per tenant_id, cumulative, as one GET /metrics shows them (one render for all: a render of
     * 1,000 tenants is most of a wave's time); a series without tenant_id counts as `__overflow__`.
     */
    async totalsByTenant<M extends string>(...metrics: M[]): Promise<Record<M, Map<string, number>>> {
      last.rendered = undefined;
      port1.postMessage({ type: 'render', id: 1 });
      await until(() => last.rendered !== undefined, 'the render');
      const totals = Object.fromEntries(metrics.map((metric) => [metric, new Map<string, number>()])) as Record<M, Map<string, number>>;
      for (const line of (last.rendered ?? '').split('\n')) {
        const metric = line.slice(0, line.indexOf('{')) as M;
        const counts = totals[metric];
        if (counts === undefined) continue;
        const tenant = /tenant_id="([^"]*)"/.exec(line)?.[1] ?? '__overflow__';
        counts.set(tenant, (counts.get(tenant) ?? 0) + Number(line.split(' ').pop()));
      }
      return totals;
    },
    close() {
      port1.close();
      port2.close();
    },
  };
}
