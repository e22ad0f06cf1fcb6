import type { MetricDefinition } from '../../src/contract/metrics.js';
import { type ExponentialValue, type HistogramValue, isExponential, type PointValue } from './collection.js';

/**
 * A point as the explicit-bucket readers see it (GET /metrics totals, the console): numbers and explicit histograms
 * as they are; an exponential histogram spread over the definition's boundaries, each of its buckets counted where
 * its geometric midpoint falls, clamped into [min, max] (so a series of one repeated value lands exactly). count,
 * sum, min and max are exact; a bucket count may be one explicit bucket off only for values within one exponential
 * bucket's width (the scale's relative error) of an explicit boundary.
 */
export function explicitValue(definition: MetricDefinition, value: PointValue): number | HistogramValue {
  return isExponential(value) ? spread(definition.boundaries ?? [], value) : value;
}

function spread(boundaries: readonly number[], value: ExponentialValue): HistogramValue {
  const counts = new Uint32Array(boundaries.length + 1);
  // Zeros are ≤ every (positive) boundary: the first bucket.
  counts[0] += value.zeroCount;
  const exponent = 2 ** -value.scale;
  for (let i = 0; i < value.countsLength; i++) {
    const n = value.counts[value.countsAt + i];
    if (n === 0) continue;
    const midpoint = Math.min(Math.max(2 ** ((value.offset + i + 0.5) * exponent), value.min), value.max);
    let bucket = 0;
    while (bucket < boundaries.length && midpoint > boundaries[bucket]) bucket++;
    counts[bucket] += n;
  }
  return { counts, count: value.count, sum: value.sum, min: value.min, max: value.max };
}
