import { METRICS, type MetricDefinition } from 'ringmeter';

// What a SigNoz Query Builder query may ask of ringmeter's metrics, shared by the dashboard and alert-rule tests.

/** Resource attributes on every series ringmeter exports (ringmeter.shard only with more than one worker). */
export const RESOURCE_ATTRIBUTES = ['service.name', 'service.instance.id', 'ringmeter.shard'];

const PERCENTILES = ['p50', 'p75', 'p90', 'p95', 'p99'];
const SPACE_AGGREGATIONS = ['sum', 'avg', 'min', 'max'];
const COUNTER_TIME_AGGREGATIONS = ['rate', 'increase'];
const GAUGE_TIME_AGGREGATIONS = ['latest', 'sum', 'avg', 'min', 'max', 'count', 'count_distinct'];
/** The series SigNoz stores for a histogram `x`: `x.bucket`, `x.count`, `x.sum`. */
export const HISTOGRAM_SERIES = ['bucket', 'count', 'sum'] as const;

export interface Aggregation {
  metricName: string;
  timeAggregation: string | null;
  spaceAggregation: string;
  /** Dashboards only: one number per series for value, table and pie panels. */
  reduceTo?: string;
}

const byName = new Map((Object.values(METRICS) as readonly MetricDefinition[]).map((definition) => [definition.name, definition]));

export interface QueriedMetric {
  definition: MetricDefinition;
  /** Which stored series of a histogram; undefined for counters, gauges and a histogram named bare. */
  series?: (typeof HISTOGRAM_SERIES)[number];
}

/** The METRICS entry behind a metric name as SigNoz spells it, or undefined if there is none. */
export function resolve(metricName: string): QueriedMetric | undefined {
  const exact = byName.get(metricName);
  if (exact !== undefined) return { definition: exact };
  const cut = metricName.lastIndexOf('.');
  const base = byName.get(metricName.slice(0, cut));
  const series = HISTOGRAM_SERIES.find((suffix) => suffix === metricName.slice(cut + 1));
  return base?.kind === 'histogram' && series !== undefined ? { definition: base, series } : undefined;
}

/** Why an aggregation does not suit the metric's kind, or undefined if it does. */
export function aggregationProblem({ definition, series }: QueriedMetric, aggregation: Aggregation): string | undefined {
  const { timeAggregation: time, spaceAggregation: space } = aggregation;
  const unless = (times: readonly (string | null)[], spaces: readonly string[]) =>
    times.includes(time) && spaces.includes(space)
      ? undefined
      : `${definition.kind} ${aggregation.metricName} aggregated with ${time}/${space}`;
  if (definition.kind === 'histogram') {
    if (series === undefined) return `histogram ${definition.name} queried without .bucket, .count or .sum`;
    if (series === 'bucket') return unless(['', null], PERCENTILES);
    return unless(COUNTER_TIME_AGGREGATIONS, SPACE_AGGREGATIONS);
  }
  if (definition.kind === 'counter') return unless(COUNTER_TIME_AGGREGATIONS, SPACE_AGGREGATIONS);
  return unless(GAUGE_TIME_AGGREGATIONS, SPACE_AGGREGATIONS);
}

export interface Condition {
  key: string;
  operator: string;
  value: string;
}

const CONDITION = /^([A-Za-z_][\w.]*)\s+(=|!=|>=|<=|>|<|NOT IN|IN|NOT LIKE|LIKE|NOT EXISTS|EXISTS)(?:\s+(.+))?$/;

/** The conditions of a filter, which must be an AND chain of `key operator value` (so that every key is seen). */
export function conditions(expression: string): Condition[] {
  if (expression.trim() === '') return [];
  return expression.split(/\s+AND\s+/).map((clause) => {
    const match = CONDITION.exec(clause.trim());
    if (match === null) throw new Error(`filter clause not understood: ${JSON.stringify(clause)} in ${JSON.stringify(expression)}`);
    return { key: match[1], operator: match[2], value: match[3] ?? '' };
  });
}
