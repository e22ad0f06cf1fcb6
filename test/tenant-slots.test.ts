import { describe, expect, it } from 'vitest';
import { TenantSlots } from '../src/strings/tenant-slots.js';

const gc = (globalThis as { gc?: () => void }).gc as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('tenant slots (main-thread half of retention)', () => {
  it('lets 1,000,000 tenants pass through 1,000 slots in waves: no overflow, slots reused, heap bounded', () => {
    const max = 1_000;
    const slots = new TenantSlots(max);
    let writeIndex = 0;
    const wave = (first: number): number[] => {
      const taken: number[] = [];
      for (let t = first; t < first + max; t++) {
        const slot = slots.acquire(`tenant-${t}`);
        taken.push(slot);
        slots.stampRing(slot, writeIndex++);
      }
      return taken;
    };
    const retireAll = (taken: number[]): void => {
      // The worker drained everything (readIndex = writeIndex) and judged the whole wave idle.
      const retired = slots.arbitrate({ slots: taken, readIndex: writeIndex, spillSegmentsRead: 0 }, { writeIndex, openSegment: 0 });
      expect(retired.length).toBe(max);
      slots.forgottenByWorker(retired);
      expect(slots.release(0, writeIndex, 0, { writeIndex: writeIndex, openSegment: 0 }).freed.length).toBe(max);
    };
    retireAll(wave(0));
    const before = heapAfterGc();
    let overflowed = 0;
    const seen = new Set<number>();
    for (let first = max; first < 1_000_000; first += max) {
      const taken = wave(first);
      for (const slot of taken) {
        if (slot < 0) overflowed++;
        else seen.add(slot);
      }
      retireAll(taken);
    }
    const after = heapAfterGc();
    expect(overflowed).toBe(0);
    expect(seen.size).toBe(max);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(max - 1);
    expect(slots.held).toBe(0);
    // 999 waves of 1,000 distinct strings; a leak of one string per tenant would be tens of MB.
    expect(after - before).toBeLessThan(1_000_000);
  });

  it('a full table overflows until a slot is freed, then the new tenant takes it', () => {
    const slots = new TenantSlots(2);
    expect(slots.acquire('a')).toBe(0);
    expect(slots.acquire('b')).toBe(1);
    expect(slots.acquire('c')).toBe(-1);
    slots.stampRing(0, 0);
    slots.stampRing(1, 1);
    expect(slots.arbitrate({ slots: [0], readIndex: 2, spillSegmentsRead: 0 }, { writeIndex: 2, openSegment: 0 })).toEqual([0]);
    expect(slots.acquire('c')).toBe(-1);
    slots.forgottenByWorker([0]);
    expect(slots.release(0, 2, 0, { writeIndex: 2, openSegment: 0 }).freed.length).toBe(1);
    expect(slots.acquire('c')).toBe(0);
    expect(slots.acquire('b')).toBe(1);
  });

  it('a tenant that comes back after the worker decided keeps its slot (ring and overflow)', () => {
    const slots = new TenantSlots(4);
    const ringTenant = slots.acquire('ring');
    const spillTenant = slots.acquire('spill');
    const idleTenant = slots.acquire('idle');
    slots.stampRing(ringTenant, 10);
    slots.stampSegment(spillTenant, 3);
    slots.stampRing(idleTenant, 4);
    // The worker had aggregated ring records below 10 and segments below 3 when it judged all three idle.
    const retired = slots.arbitrate(
      { slots: [ringTenant, spillTenant, idleTenant], readIndex: 10, spillSegmentsRead: 3 },
      { writeIndex: 11, openSegment: 4 },
    );
    expect(retired).toEqual([idleTenant]);
    expect(slots.acquire('ring')).toBe(ringTenant);
    expect(slots.acquire('spill')).toBe(spillTenant);
    // The retired tenant returning gets a fresh slot: its new records never carry the retiring slot.
    expect(slots.acquire('idle')).toBe(3);
  });

  it('a retired slot is not freed before the worker forgot it, nor before the ring and overflow passed its fence', () => {
    const slots = new TenantSlots(1);
    const slot = slots.acquire('t');
    slots.stampRing(slot, 5);
    expect(slots.arbitrate({ slots: [slot], readIndex: 6, spillSegmentsRead: 2 }, { writeIndex: 9, openSegment: 2 })).toEqual([slot]);
    expect(slots.release(0, 100, 100, { writeIndex: 100, openSegment: 100 }).freed.length).toBe(0); // the worker still holds state (series not yet exported)
    slots.forgottenByWorker([slot]);
    expect(slots.release(0, 8, 2, { writeIndex: 8, openSegment: 2 }).freed.length).toBe(0); // ring records below 9 may still name the old meaning
    expect(slots.release(0, 9, 1, { writeIndex: 9, openSegment: 1 }).freed.length).toBe(0); // overflow segment 1 not read yet
    expect(slots.acquire('u')).toBe(-1);
    expect(slots.release(0, 9, 2, { writeIndex: 9, openSegment: 2 }).freed.length).toBe(1);
    expect(slots.acquire('u')).toBe(slot);
  });

  it('counters compare across 32-bit wrap-around', () => {
    const slots = new TenantSlots(1);
    const slot = slots.acquire('t');
    slots.stampRing(slot, 0xffff_fff0);
    // Read index wrapped past the stamp: the record was aggregated, the tenant is idle.
    expect(slots.arbitrate({ slots: [slot], readIndex: 5, spillSegmentsRead: 0 }, { writeIndex: 6, openSegment: 0 })).toEqual([slot]);
    slots.forgottenByWorker([slot]);
    expect(slots.release(0, 0xffff_ffff, 0, { writeIndex: 0xffff_ffff, openSegment: 0 }).freed.length).toBe(0);
    expect(slots.release(0, 6, 0, { writeIndex: 6, openSegment: 0 }).freed.length).toBe(1);
  });
});

describe('tenant slots: the lengths of live ids (for keeping them out of the health bodies)', () => {
  it('counts a live id by its length, and stops counting it once retired', () => {
    const slots = new TenantSlots(4);
    const acme = slots.acquire('acme');
    slots.acquire('beta');
    slots.acquire('globex');
    expect([3, 4, 5, 6].map((units) => slots.hasIdOfLength(units))).toEqual([false, true, false, true]);
    expect(slots.arbitrate({ slots: [acme], readIndex: 1, spillSegmentsRead: 0 }, { writeIndex: 1, openSegment: 0 })).toEqual([acme]);
    // 'beta' is still 4 units long.
    expect(slots.hasIdOfLength(4)).toBe(true);
    const beta = slots.slotOf('beta') as number;
    slots.arbitrate({ slots: [beta], readIndex: 1, spillSegmentsRead: 0 }, { writeIndex: 1, openSegment: 0 });
    expect([4, 6, 129].map((units) => slots.hasIdOfLength(units))).toEqual([false, true, false]);
  });
});
