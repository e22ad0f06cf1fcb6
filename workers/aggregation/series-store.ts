import { OVERFLOW_ID } from '../../src/contract/strings-layout.js';
import type { MemoryBudget } from '../memory-budget.js';

/**
 * What someone keeps per series number beside a store's own columns (an export's encoded attributes:
 * export/series-attributes.ts): told when a series is removed, before its number can be reused.
 */
export interface SeriesSideTable {
  forget(series: number): void;
}

/** A counter of removals, possibly shared by several stores. */
export interface Generation {
  value: number;
}

/** A key word no string id or tag can take: marks the overflow series. */
const OVERFLOW_KEY = 0xffffffff;
const INITIAL_CAPACITY = 64;

function hashKey(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ c, 0x27d4eb2f);
  return h ^ (h >>> 16);
}

/**
 * Series storage keyed by a tuple of up to three 32-bit words (string ids, tags), without a JS object per series
 * or per record: an open-addressing table (linear probing, load ≤ 1/2) maps the key to a dense series number
 * that indexes the typed-array columns of the subclass.
 *
 * Series 0 is the overflow series, present from the start: when `maxSeries` is reached or the memory budget
 * refuses to grow, a new key's data goes there (exported with `otel.metric.overflow=true`) and is counted. A store
 * keyed by tenant (`foldTenants`) first tries the same key with the tenant `__overflow__`: the record keeps its
 * other labels (route, status…) and per-label totals stay exact; only when that series cannot be added either does
 * it go to series 0. Series that stay idle with nothing left to export can be removed; their numbers are reused.
 */
export abstract class SeriesStore {
  readonly keyWords: number;
  /** Key words of series s at `s * keyWords`. */
  keys: Uint32Array;
  /** Start of the delta window of each series (ms since the epoch): the end of its last successful export. */
  startTimes: Float64Array;
  /** Seconds (since `epochMillis`) when each series last had something to export. */
  activeAt: Uint32Array;
  /** Records that went to the overflow series because a new series could not be added. */
  overflowed = 0;
  /** Records whose own series could not be added and went to the `__overflow__` tenant's series (foldTenants). */
  folded = 0;
  /** The key word holding the tenant id, for folding; -1: not keyed by tenant. */
  private tenantWord = -1;
  protected capacity = 0;
  private slots: Int32Array;
  private slotMask: number;
  private highWater = 0;
  private readonly free: number[] = [];
  private liveSeries = 0;
  private readonly sideTables = new Map<unknown, SeriesSideTable>();

  constructor(
    keyWords: 1 | 2 | 3,
    private readonly maxSeries: number,
    private readonly budget: MemoryBudget,
    private readonly epochMillis: number,
    generation: Generation = { value: 0 },
  ) {
    this.generation = generation;
    this.keyWords = keyWords;
    this.keys = new Uint32Array(0);
    this.startTimes = new Float64Array(0);
    this.activeAt = new Uint32Array(0);
    this.slots = new Int32Array(0);
    this.slotMask = 0;
  }

  /** The side table kept under `key` (made by `make` the first time): it forgets each series this store removes. */
  sideTable<T extends SeriesSideTable>(key: unknown, make: (budget: MemoryBudget) => T): T {
    let table = this.sideTables.get(key);
    if (table === undefined) {
      table = make(this.budget);
      this.sideTables.set(key, table);
    }
    return table as T;
  }

  /** Allocates the first series (the overflow series). Subclasses call it at the end of their constructor. */
  protected init(windowStartMillis: number): void {
    if (!this.resize(INITIAL_CAPACITY)) throw new RangeError('the memory budget cannot hold one series store');
    this.insert(OVERFLOW_KEY, OVERFLOW_KEY, OVERFLOW_KEY, windowStartMillis);
  }

  /** Series held, the overflow series not included. */
  get size(): number {
    return this.liveSeries - 1;
  }

  /** One past the highest series number in use: iterate `1 <= s < end` and skip `!isLive(s)`. */
  get end(): number {
    return this.highWater;
  }

  isLive(series: number): boolean {
    return this.startTimes[series] > 0;
  }

  isOverflow(series: number): boolean {
    return series === 0;
  }

  /** The series of a key, created if new; the overflow series when no more can be added. */
  seriesOf(a: number, b: number, c: number, nowMillis: number): number {
    const keys = this.keys;
    const width = this.keyWords;
    let slot = hashKey(a, b, c) & this.slotMask;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0) break;
      const at = (entry - 1) * width;
      if (keys[at] === a && (width < 2 || keys[at + 1] === b) && (width < 3 || keys[at + 2] === c)) return entry - 1;
      slot = (slot + 1) & this.slotMask;
    }
    const series = this.insert(a, b, c, nowMillis);
    return series >= 0 ? series : this.fold(a, b, c, nowMillis);
  }

  /** Key word `word` holds the tenant: a key that cannot be added goes to the `__overflow__` tenant's series first. */
  foldTenants(word: 0 | 1 | 2): this {
    this.tenantWord = word;
    return this;
  }

  /** A new key that could not be added: the same key under `__overflow__` if this store folds tenants, else series 0. */
  private fold(a: number, b: number, c: number, nowMillis: number): number {
    const word = this.tenantWord;
    const tenant = word === 0 ? a : word === 1 ? b : c;
    if (word >= 0 && tenant !== OVERFLOW_ID) {
      const fa = word === 0 ? OVERFLOW_ID : a;
      const fb = word === 1 ? OVERFLOW_ID : b;
      const fc = word === 2 ? OVERFLOW_ID : c;
      let series = this.find(fa, fb, fc);
      if (series < 0) series = this.insert(fa, fb, fc, nowMillis);
      if (series >= 0) {
        this.folded++;
        return series;
      }
    }
    this.overflowed++;
    return 0;
  }

  /** The series of a key, or -1 (the lookup of seriesOf, off its hot path). */
  private find(a: number, b: number, c: number): number {
    const keys = this.keys;
    const width = this.keyWords;
    let slot = hashKey(a, b, c) & this.slotMask;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0) return -1;
      const at = (entry - 1) * width;
      if (keys[at] === a && (width < 2 || keys[at + 1] === b) && (width < 3 || keys[at + 2] === c)) return entry - 1;
      slot = (slot + 1) & this.slotMask;
    }
  }

  /** Bytes one series costs in this store (keys, bookkeeping and the subclass's columns). */
  bytesPerSeries(): number {
    return this.keyWords * 4 + 8 + 4 + 8 + this.columnBytesPerSeries();
  }

  /**
   * Bumped whenever a series of this store is removed: whoever caches series numbers of the store (HttpAggregator's
   * links) compares it with the value it saw, and re-resolves on a change. Stores may share one generation.
   */
  readonly generation: Generation;

  /** Removes a series that has nothing left to export. */
  remove(series: number): void {
    if (series === 0 || !this.isLive(series)) return;
    this.generation.value++;
    const width = this.keyWords;
    const at = series * width;
    let slot = hashKey(this.keys[at], width > 1 ? this.keys[at + 1] : 0, width > 2 ? this.keys[at + 2] : 0) & this.slotMask;
    while (this.slots[slot] !== series + 1) slot = (slot + 1) & this.slotMask;
    // Backward-shift deletion: pull later entries of the same probe run into the hole, so lookups never need
    // tombstones.
    let hole = slot;
    let next = slot;
    for (;;) {
      next = (next + 1) & this.slotMask;
      const entry = this.slots[next];
      if (entry === 0) break;
      const k = (entry - 1) * width;
      const home = hashKey(this.keys[k], width > 1 ? this.keys[k + 1] : 0, width > 2 ? this.keys[k + 2] : 0) & this.slotMask;
      const homeBeforeHole = next > hole ? home <= hole || home > next : home <= hole && home > next;
      if (homeBeforeHole) {
        this.slots[hole] = entry;
        hole = next;
      }
    }
    this.slots[hole] = 0;
    this.startTimes[series] = 0;
    this.resetColumns(series);
    for (const table of this.sideTables.values()) table.forget(series);
    this.free.push(series);
    this.liveSeries--;
  }

  /**
   * Tenant retention (docs/design/tenant-retention.md): adds to `pending` every tenant of `tenants` that still
   * has unexported data in this store, the tenant being key word `word`. Such a tenant must not be forgotten yet.
   */
  collectPendingTenants(word: number, tenants: ReadonlySet<number>, pending: Set<number>): void {
    const width = this.keyWords;
    for (let s = 1; s < this.highWater; s++) {
      if (this.isLive(s) && tenants.has(this.keys[s * width + word]) && this.hasPending(s)) pending.add(this.keys[s * width + word]);
    }
  }

  /** Removes every series whose key word `word` is one of `tenants`; the caller has checked that none is pending. */
  removeTenants(word: number, tenants: ReadonlySet<number>): number {
    const width = this.keyWords;
    let removed = 0;
    for (let s = 1; s < this.highWater; s++) {
      if (!this.isLive(s) || !tenants.has(this.keys[s * width + word])) continue;
      this.remove(s);
      removed++;
    }
    return removed;
  }

  /** Marks a series as having exported data at `nowMillis`. */
  touch(series: number, nowMillis: number): void {
    this.activeAt[series] = Math.floor((nowMillis - this.epochMillis) / 1000);
  }

  /** Whether a series has been idle (nothing to export) for at least `idleMillis`. */
  idleFor(series: number, nowMillis: number, idleMillis: number): boolean {
    return nowMillis - this.epochMillis - this.activeAt[series] * 1000 >= idleMillis;
  }

  /** Whether the series holds anything not yet accepted by the backend (it must not be removed then). */
  abstract hasPending(series: number): boolean;
  protected abstract columnBytesPerSeries(): number;
  /** Reallocates the subclass's columns to `capacity` series, keeping the first `used`. */
  protected abstract resizeColumns(capacity: number, used: number): void;
  /** Zeroes the subclass's columns of a series before its number is reused. */
  protected abstract resetColumns(series: number): void;

  private insert(a: number, b: number, c: number, nowMillis: number): number {
    if (this.liveSeries > this.maxSeries) return -1;
    let series: number;
    if (this.free.length > 0) {
      series = this.free.pop() as number;
    } else {
      if (this.highWater >= this.capacity && !this.grow()) return -1;
      series = this.highWater++;
    }
    const width = this.keyWords;
    const at = series * width;
    this.keys[at] = a;
    if (width > 1) this.keys[at + 1] = b;
    if (width > 2) this.keys[at + 2] = c;
    this.startTimes[series] = nowMillis;
    this.touch(series, nowMillis);
    this.place(series);
    this.liveSeries++;
    return series;
  }

  private place(series: number): void {
    const width = this.keyWords;
    const at = series * width;
    let slot = hashKey(this.keys[at], width > 1 ? this.keys[at + 1] : 0, width > 2 ? this.keys[at + 2] : 0) & this.slotMask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.slotMask;
    this.slots[slot] = series + 1;
  }

  private grow(): boolean {
    // One more than maxSeries: the overflow series does not count against the limit.
    let target = Math.min(this.capacity * 2, this.maxSeries + 1);
    while (target > this.capacity) {
      if (this.resize(target)) return true;
      // The budget refused: try half the growth, down to nothing.
      target = this.capacity + Math.floor((target - this.capacity) / 2);
    }
    return false;
  }

  /** Resizes every array to `capacity` series if the budget allows; false (and nothing changed) if not. */
  private resize(capacity: number): boolean {
    if (capacity <= this.capacity) return false;
    const slotCount = nextPowerOfTwo(capacity * 2);
    const extraBytes = (capacity - this.capacity) * (this.bytesPerSeries() - 8) + (slotCount - this.slots.length) * 4;
    if (!this.budget.tryReserve(extraBytes)) return false;
    const width = this.keyWords;
    this.keys = copyInto(new Uint32Array(capacity * width), this.keys);
    this.startTimes = copyInto(new Float64Array(capacity), this.startTimes);
    this.activeAt = copyInto(new Uint32Array(capacity), this.activeAt);
    this.resizeColumns(capacity, this.highWater);
    this.capacity = capacity;
    if (slotCount !== this.slots.length) {
      this.slots = new Int32Array(slotCount);
      this.slotMask = slotCount - 1;
      for (let s = 0; s < this.highWater; s++) if (this.isLive(s)) this.place(s);
    }
    return true;
  }
}

export function copyInto<T extends Uint32Array | Int32Array | Float64Array>(target: T, source: T): T {
  target.set(source.subarray(0, Math.min(source.length, target.length)));
  return target;
}

function nextPowerOfTwo(value: number): number {
  let result = 16;
  while (result < value) result *= 2;
  return result;
}
