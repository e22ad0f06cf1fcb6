import type { Attributes } from '@opentelemetry/api';
import type { MetricDefinition } from '../../src/contract/metrics.js';
import type { WorkerConfig } from '../../src/contract/worker-config.js';
import type { Collection } from '../export/collection.js';
import type { MemoryBudget } from '../memory-budget.js';
import { ExponentialHistogramStore } from './exponential-histogram-store.js';
import { collectHistogram, forEachSeries, OVERFLOW_ATTRIBUTES } from './export-helpers.js';
import { HistogramStore } from './histogram-store.js';
import type { Generation } from './series-store.js';

export type DurationAggregation = WorkerConfig['otlp']['histogramAggregation'];

/** The store of a duration histogram: explicit buckets, or base-2 exponential (otlp.histogramAggregation). */
export type DurationStore = HistogramStore | ExponentialHistogramStore;

/** A duration histogram's store for the aggregation the options ask for. */
export function durationStore(
  aggregation: DurationAggregation,
  keyWords: 1 | 2 | 3,
  definition: MetricDefinition,
  maxSeries: number,
  budget: MemoryBudget,
  nowMillis: number,
  generation?: Generation,
): DurationStore {
  return aggregation === 'base2_exponential_bucket_histogram'
    ? new ExponentialHistogramStore(keyWords, maxSeries, budget, nowMillis, {}, generation)
    : new HistogramStore(keyWords, definition.boundaries ?? [], maxSeries, budget, nowMillis, generation);
}

/** Adds every duration series with values since its last accepted export, in the store's own kind of histogram. */
export function collectDurations(
  collection: Collection,
  definition: MetricDefinition,
  store: DurationStore,
  idleMillis: number,
  attributesOf: (series: number) => Attributes,
): void {
  if (store instanceof HistogramStore) collectHistogram(collection, definition, store, idleMillis, attributesOf);
  else collectExponential(collection, definition, store, idleMillis, attributesOf);
}

/**
 * Takes each series with values (ExponentialHistogramStore.take: the live slot starts afresh at the maximum scale,
 * as the SDK starts every delta interval) and adds a copy of its point; an accepted batch forgets the taken point,
 * a failed one merges it back. A series whose taken point is still out (a GET /metrics render collecting while an
 * export waits for its answer) is left alone: it is settled by that export.
 */
function collectExponential(
  collection: Collection,
  definition: MetricDefinition,
  store: ExponentialHistogramStore,
  idleMillis: number,
  attributesOf: (series: number) => Attributes,
): void {
  const now = collection.endMillis;
  forEachSeries(
    collection,
    store,
    idleMillis,
    (s) => store.liveCount(s) !== 0 && !store.isTaken(s),
    (series) => {
      if (!store.take(series)) return;
      const view = store.readTaken(series, {
        scale: 0,
        count: 0,
        zeroCount: 0,
        sum: 0,
        min: 0,
        max: 0,
        offset: 0,
        counts: EMPTY,
        countsAt: 0,
        countsLength: 0,
      });
      const counts = view.counts.slice(view.countsAt, view.countsAt + view.countsLength);
      const attributes = store.isOverflow(series) ? OVERFLOW_ATTRIBUTES : attributesOf(series);
      collection.add(
        definition,
        attributes,
        store.startTimes[series],
        { ...view, counts, countsAt: 0 },
        {
          commit() {
            store.commit(series);
            store.startTimes[series] = now;
            store.touch(series, now);
          },
          abort() {
            store.abort(series);
          },
        },
        store,
        series,
      );
    },
  );
}

const EMPTY = new Uint32Array(0);
