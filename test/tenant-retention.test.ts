import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { KIND_HTTP, KIND_TENANT_USAGE, tag } from '../dist/src/contract/codes.js';
import type { MainToWorker, WorkerToMain } from '../dist/src/contract/protocol.js';
import { ENDPOINT_SEPARATOR, OVERFLOW_ID, TENANT_ID_BASE } from '../dist/src/contract/strings-layout.js';
import { RingWriter } from '../dist/src/ring/ring-writer.js';
import { InternBudget, TenantInterner } from '../dist/src/strings/interner.js';
import { StringTableWriter } from '../dist/src/strings/string-table.js';
import { TenantSlots } from '../dist/src/strings/tenant-slots.js';
import { TenantHandshake } from '../dist/src/supervisor/tenant-handshake.js';
import { Shard } from '../dist/workers/shard.js';
import { inProcessWorkerConfig } from './support/in-process-shard.js';
import { SimulatedClock } from './support/simulated-clock.js';

const GET = 1;
const RETENTION_MILLIS = 20;
const gc = (globalThis as { gc?: () => void }).gc as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Yields to the event loop until `condition` holds (port messages between the two halves are delivered there). */
async function until(condition: () => boolean, what: string): Promise<void> {
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
function retentionHarness(maxTenants: number, hooks: { afterRetire?: (forget: MainToWorker) => void } = {}) {
  const clock = new SimulatedClock();
  const { port1, port2 } = new MessageChannel();
  const config = inProcessWorkerConfig({
    ringCapacity: 16_384,
    tenantSlots: maxTenants,
    tenantRetentionMillis: RETENTION_MILLIS,
    maxSeries: 4 * maxTenants,
    maxMemoryBytes: 64 << 20,
    exporters: { otlp: false, console: false },
  });
  const strings = new StringTableWriter(config.stringTableEntries, 4_096, maxTenants);
  const slots = new TenantSlots(maxTenants, 1, TENANT_ID_BASE);
  const tenants = new TenantInterner(strings, slots, new InternBudget(maxTenants), 128);
  const ring = new RingWriter(config.ringCapacity, config.maxMemoryBytes, { ring: slots.ringStamp, segments: slots.segmentStamp });
  const handshake = new TenantHandshake(0, ring, slots);
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
      last.rendered = message.families.map((family) => family.samples).join('');
    }
    if (answer !== undefined) port1.postMessage(answer);
  });
  shard.start();
  return {
    clock,
    slots,
    handshake,
    shard,
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
    /** `metric` per tenant_id, cumulative, as GET /metrics shows it; a series without tenant_id counts as `__overflow__`. */
    async totalsByTenant(metric: string): Promise<Map<string, number>> {
      last.rendered = undefined;
      port1.postMessage({ type: 'render', id: 1 });
      await until(() => last.rendered !== undefined, 'the render');
      const counts = new Map<string, number>();
      for (const line of (last.rendered ?? '').split('\n')) {
        if (!line.startsWith(`${metric}{`)) continue;
        const tenant = /tenant_id="([^"]*)"/.exec(line)?.[1] ?? '__overflow__';
        counts.set(tenant, (counts.get(tenant) ?? 0) + Number(line.split(' ').pop()));
      }
      return counts;
    },
    close() {
      port1.close();
      port2.close();
    },
  };
}

describe('tenant retention through the interner, the string table, the ring and a shard (simulated time)', () => {
  it('1,000,000 tenants in waves through maxTenants 1,000: no overflow after expiry, slots reused, every record counted once, heap flat', async () => {
    const max = 1_000;
    const waves = 1_000;
    const h = retentionHarness(max);
    const slotsSeen = new Set<number>();
    let counted = 0;
    let requestsCounted = 0;
    let overflowed = 0;
    let heapAtWave10 = 0;
    for (let wave = 0; wave < waves; wave++) {
      const ids: number[] = [];
      for (let t = wave * max; t < (wave + 1) * max; t++) {
        const id = h.tenant(`tenant-${t}`);
        if (id === OVERFLOW_ID) overflowed++;
        ids.push(id);
        // Two usage records per tenant (one series each, so that an export of 1,000 tenants stays cheap), and a
        // request for one tenant in a hundred, so that the HTTP stores and the tenant profiles come and go too.
        h.usage(id, 1);
        h.usage(id, 2);
        if (t % 100 === 0) h.request(id);
      }
      if (wave === 0) {
        // The cap holds while the first wave is live: one more tenant is __overflow__ (no record written for it).
        expect(h.tenant('one-too-many')).toBe(OVERFLOW_ID);
      }
      for (const id of ids) slotsSeen.add(id - TENANT_ID_BASE);
      await h.exportNow();
      // Exactly this wave's tenants, each once with all of its records: earlier waves left with their totals.
      const usage = await h.totalsByTenant('tenant_resource_usage_total');
      expect(usage.size).toBe(max);
      for (let t = wave * max; t < (wave + 1) * max; t++) {
        const n = usage.get(`tenant-${t}`);
        if (n !== 3) expect.fail(`tenant-${t} has usage ${n} in wave ${wave}`);
        counted += 2;
      }
      const requests = await h.totalsByTenant('http_requests_total');
      expect(Object.fromEntries(requests)).toEqual(
        Object.fromEntries(Array.from({ length: max / 100 }, (_, i) => [`tenant-${wave * max + i * 100}`, 1])),
      );
      requestsCounted += requests.size;
      // Past the retention, the next export proposes the whole wave; the handshake retires, forgets and frees it.
      await h.clock.advance(RETENTION_MILLIS);
      await h.exportNow();
      await until(() => h.slots.held === 0, `wave ${wave} to be freed`);
      if (wave === 9) heapAtWave10 = heapAfterGc();
    }
    const heapAtEnd = heapAfterGc();
    console.log(
      `tenant retention, 1,000,000 tenants through 1,000 slots: heap + array buffers after gc() ${(heapAtWave10 / 1e6).toFixed(2)} MB after wave 10, ${(heapAtEnd / 1e6).toFixed(2)} MB after wave 1,000 (${((heapAtEnd - heapAtWave10) / 1e3).toFixed(0)} kB apart)`,
    );
    h.close();
    expect(overflowed).toBe(0);
    expect(counted).toBe(2 * max * waves);
    expect(requestsCounted).toBe((max / 100) * waves);
    expect(h.seen).toEqual({ idle: max * waves, forgotten: max * waves });
    expect(slotsSeen.size).toBe(max);
    expect(Math.min(...slotsSeen)).toBe(0);
    expect(Math.max(...slotsSeen)).toBe(max - 1);
    expect(h.slots.live).toBe(0);
    expect(h.handshake.inHandshake).toBe(0);
    // 999 waves after wave 10: a leak of even 10 bytes per tenant on either side would show as 10 MB.
    expect(heapAtEnd - heapAtWave10).toBeLessThan(2_000_000);
  }, 600_000);

  it('a tenant back before the arbitration keeps its slot; an id used after its retirement is forgotten again before its slot is reused', async () => {
    let staleWrite: (() => void) | undefined;
    const h = retentionHarness(4, { afterRetire: () => staleWrite?.() });
    const requests = () => h.totalsByTenant('http_requests_total');
    const a = h.tenant('a');
    const b = h.tenant('b');
    const c = h.tenant('c');
    for (const id of [a, b, c]) h.request(id);
    await h.exportNow();
    expect(Object.fromEntries(await requests())).toEqual({ a: 1, b: 1, c: 1 });

    await h.clock.advance(RETENTION_MILLIS);
    // A request in flight resolved c's id before c was retired and records after: it writes the old id.
    staleWrite = () => {
      staleWrite = undefined;
      h.request(c);
    };
    await h.exportNow();
    // The worker has proposed a, b and c; its message is not handled yet. a comes back in between.
    h.request(a);
    await until(() => h.seen.forgotten === 1, 'b to be forgotten');
    expect(h.seen.idle).toBe(3);
    // a kept its slot; b is gone; c's late record counts for c, under its own label, and holds c back.
    expect(Object.fromEntries(await requests())).toEqual({ a: 2, c: 2 });
    expect(h.tenant('a')).toBe(a);
    const d = h.tenant('d');
    expect(d).not.toBe(c);
    h.request(d);

    // The export settles c's late record; the worker forgets c and reports it. Its stamp lies after its fence,
    // so the slot is retired once more and the worker asked again before the slot is freed.
    await h.exportNow();
    await until(() => h.handshake.inHandshake === 0, "c's slot to be freed");
    expect(h.seen.forgotten).toBe(3);
    const e = h.tenant('e');
    // The only free slot is c's: a new tenant takes it, and nothing of c comes with it.
    expect(e).toBe(c);
    h.request(e);
    await h.exportNow();
    expect(Object.fromEntries(await requests())).toEqual({ a: 2, d: 1, e: 1 });
    h.close();
  });
});
