import type { MemoryBudget } from '../memory-budget.js';
import { SeriesStore, copyInto, type Generation } from './series-store.js';

/**
 * Monotonic sums (counters), `columns` values per series. Each value is the part of the series' cumulative total
 * not yet accepted by the backend (cumulative minus last successful export), kept directly: an export sends it,
 * and only once the backend accepted the batch is what was sent subtracted. A failed export therefore loses
 * nothing; the next one carries both intervals. Keeping the difference rather than two cumulative totals keeps
 * float sums exact (6, not 6.000000000000001 after 0.14 was exported) and halves the memory.
 */
export class SumStore extends SeriesStore {
  readonly columns: number;
  /** Unexported value of column c of series s at `s * columns + c`. */
  pending: Float64Array = new Float64Array(0);
  constructor(keyWords: 1 | 2 | 3, columns: number, maxSeries: number, budget: MemoryBudget, nowMillis: number, generation?: Generation) {
    super(keyWords, maxSeries, budget, nowMillis, generation);
    this.columns = columns;
    this.init(nowMillis);
  }

  add(series: number, column: number, value: number): void {
    this.pending[series * this.columns + column] += value;
  }

  /** What an export of this column would carry now. */
  delta(series: number, column: number): number {
    return this.pending[series * this.columns + column];
  }

  /** The backend accepted `sent` of this column: it is no longer pending. */
  commit(series: number, column: number, sent: number): void {
    this.pending[series * this.columns + column] -= sent;
  }

  hasPending(series: number): boolean {
    for (let column = 0; column < this.columns; column++) if (this.pending[series * this.columns + column] !== 0) return true;
    return false;
  }

  protected columnBytesPerSeries(): number {
    return this.columns * 8;
  }

  protected resizeColumns(capacity: number): void {
    this.pending = copyInto(new Float64Array(capacity * this.columns), this.pending);
  }

  protected resetColumns(series: number): void {
    const at = series * this.columns;
    this.pending.fill(0, at, at + this.columns);
  }
}
