import type { MemoryBudget } from './memory-budget.js';
import { SeriesStore, copyInto } from './series-store.js';

/**
 * Monotonic sums (counters), `columns` values per series. Each value is kept cumulative, next to the cumulative
 * value of the last successful export: an export sends the difference and, only once the backend accepted it,
 * moves the baseline. A failed export therefore loses nothing; the next one carries both intervals.
 */
export class SumStore extends SeriesStore {
  readonly columns: number;
  /** Cumulative value of column c of series s at `s * columns + c`. */
  totals: Float64Array = new Float64Array(0);
  /** The part of `totals` already exported. */
  exported: Float64Array = new Float64Array(0);

  constructor(keyWords: 1 | 2 | 3, columns: number, maxSeries: number, budget: MemoryBudget, nowMillis: number) {
    super(keyWords, maxSeries, budget, nowMillis);
    this.columns = columns;
    this.init(nowMillis);
  }

  add(series: number, column: number, value: number): void {
    this.totals[series * this.columns + column] += value;
  }

  delta(series: number, column: number): number {
    const at = series * this.columns + column;
    return this.totals[at] - this.exported[at];
  }

  /** Moves the exported baseline of one column forward by what an accepted export carried. */
  commit(series: number, column: number, exportedDelta: number): void {
    this.exported[series * this.columns + column] += exportedDelta;
  }

  protected columnBytesPerSeries(): number {
    return this.columns * 16;
  }

  protected resizeColumns(capacity: number): void {
    this.totals = copyInto(new Float64Array(capacity * this.columns), this.totals);
    this.exported = copyInto(new Float64Array(capacity * this.columns), this.exported);
  }

  protected resetColumns(series: number): void {
    const at = series * this.columns;
    this.totals.fill(0, at, at + this.columns);
    this.exported.fill(0, at, at + this.columns);
  }
}
