import type { Attributes } from '@opentelemetry/api';
import type { MetricDefinition } from '../../src/contract/metrics.js';
import type { Collection } from '../export/collection.js';
import { SeriesAttributes } from '../export/series-attributes.js';
import type { RunSpec, SeriesRun } from '../export/series-run.js';
import type { CounterStore } from './counter-store.js';
import type { HistogramStore } from './histogram-store.js';
import type { SeriesStore } from './series-store.js';
import type { SumStore } from './sum-store.js';

/** Attributes of a store's overflow series: OpenTelemetry's convention, every other label dropped. */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * Walks a store's series at export time: calls `visit` for each series with something to export for this metric,
 * and forgets series that hold nothing pending and stayed idle for `idleMillis`.
 */
export function forEachSeries(
  collection: Collection,
  store: SeriesStore,
  idleMillis: number,
  hasDelta: (series: number) => boolean,
  visit: (series: number) => void,
): void {
  const nowMillis = collection.endMillis;
  // `store.end` is read on every turn: series added meanwhile (see Collection.step) are visited too.
  for (let series = 0; series < store.end; series++) {
    collection.step();
    if (!store.isLive(series)) continue;
    if (hasDelta(series)) {
      visit(series);
    } else if (series !== 0 && !store.hasPending(series) && store.idleFor(series, nowMillis, idleMillis)) {
      store.remove(series);
    }
  }
}

/** Adds every counter series with a count since its last accepted export. */
export function collectCounter(
  collection: Collection,
  definition: MetricDefinition,
  store: CounterStore,
  idleMillis: number,
  attributesOf: (series: number) => Attributes,
): void {
  collectScalar(
    collection,
    definition,
    store,
    idleMillis,
    attributesOf,
    (s) => store.delta(s),
    (s, sent) => store.commit(s, sent),
  );
}

/** Adds one column of every sum series with a delta, keyed by `attributesOf`. */
export function collectSum(
  collection: Collection,
  definition: MetricDefinition,
  store: SumStore,
  column: number,
  idleMillis: number,
  attributesOf: (series: number) => Attributes,
): void {
  collectScalar(
    collection,
    definition,
    store,
    idleMillis,
    attributesOf,
    (s) => store.delta(s, column),
    (s, sent) => store.commit(s, column, sent),
  );
}

/** The shared walk of collectCounter and collectSum: one number per series, settled by subtracting what was sent. */
function collectScalar(
  collection: Collection,
  definition: MetricDefinition,
  store: CounterStore | SumStore,
  idleMillis: number,
  attributesOf: (series: number) => Attributes,
  deltaOf: (series: number) => number,
  commit: (series: number, sent: number) => void,
): void {
  // One spec per store and export: a point is a row of its run's columns (export/series-run.ts), settled from there.
  const spec: RunSpec = {
    definition,
    kind: 'number',
    buckets: 0,
    store,
    attributes: seriesAttributes(store, definition, 'number', attributesOf),
    commit(run: SeriesRun, i: number) {
      commit(run.series[i], run.values[i]);
    },
    abort: undefined,
  };
  forEachSeries(
    collection,
    store,
    idleMillis,
    (s) => deltaOf(s) !== 0,
    (series) => {
      collection.addRunPoint(spec, series, store.startTimes[series], deltaOf(series));
    },
  );
}

/** Adds every histogram series with values since its last successful export. */
export function collectHistogram(
  collection: Collection,
  definition: MetricDefinition,
  store: HistogramStore,
  idleMillis: number,
  attributesOf: (series: number) => Attributes,
): void {
  const buckets = store.buckets;
  const spec: RunSpec = {
    definition,
    kind: 'histogram',
    buckets,
    store,
    attributes: seriesAttributes(store, definition, 'histogram', attributesOf),
    commit(run: SeriesRun, i: number) {
      store.commitAt(run.series[i], run.buckets, i * buckets, run.values[i]);
    },
    abort(run: SeriesRun, i: number) {
      store.restoreExtremes(run.series[i], run.mins[i], run.maxs[i]);
    },
  };
  forEachSeries(
    collection,
    store,
    idleMillis,
    (s) => store.deltaCount(s) !== 0,
    (series) => {
      const run = collection.addRunPoint(spec, series, store.startTimes[series], store.deltaSum(series));
      const i = run.length - 1;
      run.counts[i] = store.copyDeltaBuckets(series, run.buckets, i * buckets);
      run.mins[i] = store.takeMin(series);
      run.maxs[i] = store.takeMax(series);
    },
  );
}

/**
 * The encoded attributes of `store`'s series for `definition` (kept by the store, which forgets a series' entry
 * when it removes the series), reading this export's `attributesOf`, the overflow series' attributes its own.
 */
function seriesAttributes(
  store: SeriesStore,
  definition: MetricDefinition,
  kind: 'number' | 'histogram',
  attributesOf: (series: number) => Attributes,
): SeriesAttributes {
  const table = store.sideTable(definition, (budget) => new SeriesAttributes(budget, kind));
  table.attributesOf = (series) => (store.isOverflow(series) ? OVERFLOW_ATTRIBUTES : attributesOf(series));
  return table;
}
