import type { Attributes } from '@opentelemetry/api';
import type { MetricDefinition } from '../../src/contract/metrics.js';
import type { Reservations } from '../memory-budget.js';
import type { DataPoint, PointSource } from './collection.js';
import { labelPairs } from './prometheus-text.js';

/** One metric's accepted totals for GET /metrics (cumulative-totals.ts): its cells, their columns, their label keys. */

/** One series' running value, as render combines it: a number (counter, gauge) or a histogram's counts, sum and count. */
export interface Cell {
  value: number;
  counts: number[] | undefined;
  sum: number;
}

/**
 * A cell's cost beside its columns: its Map entry (a V8 OrderedHashMap entry with its bucket, 32 bytes, charged
 * twice since the table doubles) and its slot in the keys array (8, charged twice likewise). Its key string is
 * charged by length (stringBytes). Measured: test/memory-costs.long.test.ts.
 */
const CELL_ENTRY_BYTES = 80;
const INITIAL_CELLS = 16;

/** A V8 string's heap size: a 16-byte header, one byte per character (Latin-1) or two, rounded up to 8. */
function stringBytes(text: string): number {
  const perChar = /[\u0100-\uffff]/.test(text) ? 2 : 1;
  return 16 + Math.ceil((text.length * perChar) / 8) * 8;
}

/** One metric's accepted totals: a label key per cell, the numbers in typed columns indexed by cell. */
export class Family {
  readonly index = new Map<string, number>();
  /** The key of each cell; undefined for a cell freed for reuse. */
  readonly keys: (string | undefined)[] = [];
  /** Counter: the sum; gauge: the latest value; histogram: the count. */
  values: Float64Array = new Float64Array(0);
  /** Histograms: sum, and `buckets` counts per cell. */
  sums: Float64Array = new Float64Array(0);
  counts: Float64Array = new Float64Array(0);
  private capacity = 0;
  private readonly free: number[] = [];
  /** Bucket counts per cell (0 unless a histogram). */
  readonly buckets: number;
  /** The cells of the series of each store that feeds this family (SeriesCells), so that absorb builds no label key. */
  private readonly bySource = new Map<PointSource, SeriesCells>();
  /** What `bySource` is charged to the budget. */
  private sourceBytes = 0;

  constructor(readonly definition: MetricDefinition) {
    this.buckets = definition.kind === 'histogram' ? (definition.boundaries?.length ?? 0) + 1 : 0;
  }

  /** Bytes of one cell's slots in the columns. */
  private get columnBytes(): number {
    return this.buckets === 0 ? 8 : 16 + 8 * this.buckets;
  }

  /** The cell of `key`, made if new; -1 when the budget refuses it (`force`: charged whatever it says). */
  cellOf(key: string, budget: Reservations, force = false): number {
    const known = this.index.get(key);
    if (known !== undefined) return known;
    const cost = cellBytes(key);
    if (force) budget.charge(cost);
    else if (!budget.tryReserve(cost)) return -1;
    let cell = this.free.pop();
    if (cell === undefined) {
      if (this.keys.length >= this.capacity && !this.grow(budget, force)) {
        budget.unreserve(cost);
        return -1;
      }
      cell = this.keys.length;
      this.keys.push(key);
    } else {
      this.keys[cell] = key;
    }
    this.index.set(key, cell);
    return cell;
  }

  /**
   * The cell of a settled point, made if new; -1 when the budget refuses it. A point of a store's series is found by
   * its series number, checked against the series' key words (a number is reused once its series is removed): the
   * label key is built only the first time a series reaches this family, not at every export.
   */
  cellOfPoint(point: DataPoint, budget: Reservations): number {
    const source = point.source;
    if (source === undefined) return this.cellOf(labelPairs(point.attributes), budget);
    return this.cellOfSeries(source, point.series, point.attributes, budget);
  }

  /**
   * cellOfPoint for store series `series` of `source`, its attributes `attributes` (a function, called only when
   * the label key must be built).
   */
  cellOfSeries(
    source: PointSource,
    series: number,
    attributes: Attributes | ((series: number) => Attributes),
    budget: Reservations,
  ): number {
    const width = source.keyWords;
    let cached = this.bySource.get(source);
    if (cached === undefined) {
      cached = { cells: new Int32Array(0), keys: new Uint32Array(0) };
      this.bySource.set(source, cached);
    }
    if (series < cached.cells.length) {
      const cell = cached.cells[series];
      if (cell >= 0 && sameKey(cached.keys, source.keys, series * width, width)) return cell;
    } else if (!this.growSeriesCells(cached, source, series, budget))
      return this.cellOf(labelPairs(attributesOf(attributes, series)), budget);
    const cell = this.cellOf(labelPairs(attributesOf(attributes, series)), budget);
    if (cell < 0) return cell;
    cached.cells[series] = cell;
    const at = series * width;
    for (let i = 0; i < width; i++) cached.keys[at + i] = source.keys[at + i];
    return cell;
  }

  /**
   * Every series number cached here is forgotten (a cell was removed: its number may be reused by another key).
   * Returns the bytes the caches were charged.
   */
  forgetSeries(): number {
    const bytes = this.sourceBytes;
    this.bySource.clear();
    this.sourceBytes = 0;
    return bytes;
  }

  /** Room for `series` in a store's cache (doubling); false when the budget refuses it: absorb then goes by label. */
  private growSeriesCells(cached: SeriesCells, source: PointSource, series: number, budget: Reservations): boolean {
    const length = Math.max(series + 1, cached.cells.length * 2, INITIAL_CELLS);
    const bytes = (length - cached.cells.length) * 4 * (1 + source.keyWords);
    if (!budget.tryReserve(bytes)) return false;
    this.sourceBytes += bytes;
    const cells = new Int32Array(length).fill(-1);
    cells.set(cached.cells);
    const keys = new Uint32Array(length * source.keyWords);
    keys.set(cached.keys);
    cached.cells = cells;
    cached.keys = keys;
    return true;
  }

  /** Forgets a cell (its tenant was forgotten); returns the bytes it was charged beside the columns. */
  remove(cell: number): number {
    const key = this.keys[cell] as string;
    this.index.delete(key);
    this.keys[cell] = undefined;
    this.values[cell] = 0;
    this.sums[cell] = 0;
    this.counts.fill(0, cell * this.buckets, (cell + 1) * this.buckets);
    this.free.push(cell);
    return cellBytes(key);
  }

  /** A cell as render reads it; the accepted cell is never changed by it. */
  read(cell: number): Cell {
    if (this.buckets === 0) return { value: this.values[cell], counts: undefined, sum: 0 };
    const counts = Array.from(this.counts.subarray(cell * this.buckets, (cell + 1) * this.buckets));
    return { value: this.values[cell], counts, sum: this.sums[cell] };
  }

  /**
   * Doubles the columns (down to one more cell if the budget refuses more); false: not even that. `force` (the
   * overflow cell): one more cell, charged whatever the budget says, when it refuses everything.
   */
  private grow(budget: Reservations, force: boolean): boolean {
    let target = Math.max(INITIAL_CELLS, this.capacity * 2);
    while (target > this.capacity) {
      if (budget.tryReserve((target - this.capacity) * this.columnBytes)) {
        this.resize(target);
        return true;
      }
      target = this.capacity + Math.floor((target - this.capacity) / 2);
    }
    if (!force) return false;
    budget.charge(this.columnBytes);
    this.resize(this.capacity + 1);
    return true;
  }

  private resize(capacity: number): void {
    this.values = grown(this.values, capacity);
    if (this.buckets > 0) {
      this.sums = grown(this.sums, capacity);
      this.counts = grown(this.counts, capacity * this.buckets);
    }
    this.capacity = capacity;
  }
}

function grown(column: Float64Array, length: number): Float64Array {
  const next = new Float64Array(length);
  next.set(column);
  return next;
}

/** What a cell costs beside its columns: its key and its entries (CELL_ENTRY_BYTES). */
function cellBytes(key: string): number {
  return stringBytes(key) + CELL_ENTRY_BYTES;
}

/** A store's series numbers → this family's cells (-1: none yet), with the key words each was cached under. */
interface SeriesCells {
  cells: Int32Array;
  keys: Uint32Array;
}

function sameKey(cached: Uint32Array, current: Uint32Array, at: number, width: number): boolean {
  for (let i = 0; i < width; i++) if (cached[at + i] !== current[at + i]) return false;
  return true;
}

function attributesOf(attributes: Attributes | ((series: number) => Attributes), series: number): Attributes {
  return typeof attributes === 'function' ? attributes(series) : attributes;
}
