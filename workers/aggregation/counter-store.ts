import type { MemoryBudget } from '../memory-budget.js';
import { SeriesStore, copyInto } from './series-store.js';

/**
 * Integer counters (requests, queries, transactions): one 32-bit count per series of what the backend has not
 * accepted yet (see SumStore for why the pending part is what is kept). A series may count 2^32 events per export
 * interval; the arithmetic wraps, so the subtraction at commit stays exact.
 *
 * Each series' cell may carry `linkColumns` more integers right after its count, in the same cache line: an
 * aggregator keeps there what it wants to find again with the count (HttpAggregator: its related series).
 */
export class CounterStore extends SeriesStore {
  /** Count of series s at `s * stride`, its links at `s * stride + 1 …`. */
  cells: Int32Array = new Int32Array(0);
  readonly stride: number;

  constructor(keyWords: 1 | 2 | 3, maxSeries: number, budget: MemoryBudget, nowMillis: number, linkColumns = 0) {
    super(keyWords, maxSeries, budget, nowMillis);
    this.stride = 1 + linkColumns;
    this.init(nowMillis);
  }

  increment(series: number): void {
    this.cells[series * this.stride]++;
  }

  delta(series: number): number {
    return this.cells[series * this.stride] >>> 0;
  }

  commit(series: number, sent: number): void {
    this.cells[series * this.stride] -= sent;
  }

  hasPending(series: number): boolean {
    return this.cells[series * this.stride] !== 0;
  }

  protected columnBytesPerSeries(): number {
    return this.stride * 4;
  }

  protected resizeColumns(capacity: number): void {
    this.cells = copyInto(new Int32Array(capacity * this.stride), this.cells);
  }

  protected resetColumns(series: number): void {
    this.cells.fill(0, series * this.stride, (series + 1) * this.stride);
  }
}
