import type { MetricDefinition } from '../../src/contract/metrics.js';
import type { SeriesAttributes } from './series-attributes.js';

/**
 * A store as a run reads and settles it: its keys (series s's key words at `keys[s * keyWords …]`, a PointSource of
 * collection.ts) and each series' start time and activity.
 */
export interface RunStore {
  readonly keyWords: number;
  readonly keys: Uint32Array;
  readonly startTimes: Float64Array;
  touch(series: number, nowMillis: number): void;
}

/**
 * What the points of one store make for one metric: read by the writer and the GET /metrics totals from the run's
 * columns, and settled by `commit` (the backend took point i: subtract what it carried) or `abort` (it did not: give
 * back what was taken, histogram min and max). One per store, metric and export; shared by the export's runs.
 */
export interface RunSpec {
  readonly definition: MetricDefinition;
  readonly kind: 'number' | 'histogram';
  /** Bucket counts per point (histograms; 0 for numbers). */
  readonly buckets: number;
  readonly store: RunStore;
  readonly attributes: SeriesAttributes;
  commit(run: SeriesRun, i: number): void;
  abort: ((run: SeriesRun, i: number) => void) | undefined;
}

const INITIAL_POINTS = 64;

/**
 * The points of one RunSpec in one batch, as columns: no object per point. Point i is store series `series[i]`,
 * its interval starting at `starts[i]`; a number point's value is `values[i]`; a histogram point's sum is
 * `values[i]`, its count `counts[i]`, min and max `mins[i]`, `maxs[i]`, its bucket counts
 * `buckets[i * spec.buckets …]` (a copy taken at collection: records keep arriving while the batch is out).
 */
export class SeriesRun {
  length = 0;
  series = new Int32Array(INITIAL_POINTS);
  starts = new Float64Array(INITIAL_POINTS);
  values = new Float64Array(INITIAL_POINTS);
  counts: Float64Array;
  mins: Float64Array;
  maxs: Float64Array;
  buckets: Uint32Array;

  constructor(readonly spec: RunSpec) {
    const histogram = spec.kind === 'histogram';
    this.counts = new Float64Array(histogram ? INITIAL_POINTS : 0);
    this.mins = new Float64Array(histogram ? INITIAL_POINTS : 0);
    this.maxs = new Float64Array(histogram ? INITIAL_POINTS : 0);
    this.buckets = new Uint32Array(histogram ? INITIAL_POINTS * spec.buckets : 0);
  }

  /** Room for one more point; returns its index. The caller fills its columns. */
  push(series: number, startMillis: number, value: number): number {
    const i = this.length++;
    if (i === this.series.length) this.grow();
    this.series[i] = series;
    this.starts[i] = startMillis;
    this.values[i] = value;
    return i;
  }

  /** Settles every point: accepted (commit, and each series' window starts at `endMillis`), or not (abort). */
  commit(endMillis: number): void {
    const { spec, series } = this;
    const store = spec.store;
    for (let i = 0; i < this.length; i++) {
      spec.commit(this, i);
      store.startTimes[series[i]] = endMillis;
      store.touch(series[i], endMillis);
    }
  }

  abort(): void {
    const abort = this.spec.abort;
    if (abort !== undefined) for (let i = 0; i < this.length; i++) abort(this, i);
  }

  private grow(): void {
    const size = this.series.length * 2;
    this.series = grown(new Int32Array(size), this.series);
    this.starts = grown(new Float64Array(size), this.starts);
    this.values = grown(new Float64Array(size), this.values);
    if (this.spec.kind !== 'histogram') return;
    this.counts = grown(new Float64Array(size), this.counts);
    this.mins = grown(new Float64Array(size), this.mins);
    this.maxs = grown(new Float64Array(size), this.maxs);
    this.buckets = grown(new Uint32Array(size * this.spec.buckets), this.buckets);
  }
}

function grown<T extends Int32Array | Float64Array | Uint32Array>(target: T, source: T): T {
  target.set(source);
  return target;
}
