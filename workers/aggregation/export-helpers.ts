import type { Attributes } from '@opentelemetry/api';
import type { MetricDefinition } from '../../src/contract/metrics.js';
import type { Collection } from '../export/collection.js';
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
  const now = collection.endMillis;
  forEachSeries(
    collection,
    store,
    idleMillis,
    (s) => deltaOf(s) !== 0,
    (series) => {
      const delta = deltaOf(series);
      const attributes = store.isOverflow(series) ? OVERFLOW_ATTRIBUTES : attributesOf(series);
      const settlement = {
        commit() {
          commit(series, delta);
          store.startTimes[series] = now;
          store.touch(series, now);
        },
      };
      collection.add(definition, attributes, store.startTimes[series], delta, settlement, store, series);
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
  const now = collection.endMillis;
  forEachSeries(
    collection,
    store,
    idleMillis,
    (s) => store.deltaCount(s) !== 0,
    (series) => {
      const counts = store.deltaBucketCounts(series);
      const sum = store.deltaSum(series);
      let count = 0;
      for (const c of counts) count += c;
      const { min, max } = store.takeExtremes(series);
      const attributes = store.isOverflow(series) ? OVERFLOW_ATTRIBUTES : attributesOf(series);
      collection.add(
        definition,
        attributes,
        store.startTimes[series],
        { counts, sum, count, min, max },
        {
          commit() {
            store.commit(series, counts, sum);
            store.startTimes[series] = now;
            store.touch(series, now);
          },
          abort() {
            store.restoreExtremes(series, min, max);
          },
        },
        store,
        series,
      );
    },
  );
}
