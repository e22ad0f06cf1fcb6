import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aggregationProblem, conditions, RESOURCE_ATTRIBUTES, resolve, type Aggregation } from './support/signoz-metrics.js';

// The SigNoz alert rules in docs/signoz/alerts/ checked against METRICS, like the dashboard: a renamed metric or
// label, a histogram queried like a counter, a formula over a query that is not there, or a placeholder in an
// annotation that no query groups by fails here, not in a silent alert.

const directory = new URL('../docs/signoz/alerts/', import.meta.url);

interface BuilderQuery {
  type: 'builder_query';
  spec: {
    name: string;
    signal: string;
    disabled: boolean;
    aggregations: Aggregation[];
    filter: { expression: string };
    groupBy: Array<{ name: string; fieldContext: string; fieldDataType: string }>;
  };
}
interface Formula {
  type: 'builder_formula';
  spec: { name: string; expression: string; disabled: boolean };
}
interface Rule {
  alert: string;
  alertType: string;
  ruleType: string;
  version: string;
  evalWindow: string;
  frequency: string;
  condition: {
    compositeQuery: { queryType: string; panelType: string; unit: string; queries: Array<BuilderQuery | Formula> };
    selectedQueryName: string;
    op: string;
    matchType: string;
    target: number;
    targetUnit: string;
  };
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const rules = new Map(
  readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .map((file) => [file, JSON.parse(readFileSync(new URL(file, directory), 'utf8')) as Rule]),
);

/** SigNoz's compare operators ('1' above, '2' below, '3' equal, '4' not equal) and match types. */
const OPS = ['1', '2', '3', '4'];
/** '1' at least once, '2' all the time, '3' on average, '4' in total, '5' last. */
const MATCH_TYPES = ['1', '2', '3', '4', '5'];
const DURATION = /^[1-9]\d*m0s$/;

const builderQueries = (rule: Rule) =>
  rule.condition.compositeQuery.queries.filter((query): query is BuilderQuery => query.type === 'builder_query');
const formulas = (rule: Rule) =>
  rule.condition.compositeQuery.queries.filter((query): query is Formula => query.type === 'builder_formula');

describe('SigNoz alert rules (docs/signoz/alerts/)', () => {
  it('are the seven documented rules, each on the metric it is about', () => {
    const metricsOf = (rule: Rule) => builderQueries(rule).map((query) => query.spec.aggregations[0].metricName);
    expect(Object.fromEntries([...rules].map(([file, rule]) => [file, metricsOf(rule)]))).toEqual({
      'export-failures.json': ['otel.sdk.exporter.metric_data_point.exported'],
      'p99-latency.json': ['http_request_duration_seconds.bucket'],
      'ring-drops.json': ['ringmeter.records.dropped'],
      'ring-overflow.json': ['ringmeter.records.spilled'],
      'tenant-error-rate.json': ['http_requests_total', 'http_requests_total'],
      'worker-lost-records.json': ['ringmeter.records.lost'],
      'worker-restarts.json': ['ringmeter.workers.restarts'],
    });
    const doc = readFileSync(new URL('../docs/signoz.md', import.meta.url), 'utf8');
    for (const [file, rule] of rules) {
      expect(doc, `${file} is not documented in docs/signoz.md`).toContain(`signoz/alerts/${file}`);
      expect(doc).toContain(rule.alert);
    }
  });

  it('are v5 Query Builder threshold rules with a window, a frequency, a severity and annotations', () => {
    for (const [file, rule] of rules) {
      expect(rule, file).toMatchObject({ alertType: 'METRIC_BASED_ALERT', ruleType: 'threshold_rule', version: 'v5' });
      expect(rule.alert.startsWith('ringmeter: '), file).toBe(true);
      expect(rule.evalWindow, file).toMatch(DURATION);
      expect(rule.frequency, file).toMatch(DURATION);
      expect(['critical', 'warning', 'info'], file).toContain(rule.labels.severity);
      expect(Object.keys(rule.annotations).sort(), file).toEqual(['description', 'summary']);
      const { compositeQuery, selectedQueryName, op, matchType, target, targetUnit } = rule.condition;
      expect(compositeQuery.queryType, file).toBe('builder');
      expect(OPS, file).toContain(op);
      expect(MATCH_TYPES, file).toContain(matchType);
      expect(typeof target, file).toBe('number');
      expect(targetUnit, file).toBe(compositeQuery.unit);
      const selected = compositeQuery.queries.find((query) => query.spec.name === selectedQueryName);
      expect(selected?.spec.disabled, `${file}: selected query ${selectedQueryName}`).toBe(false);
      const names = compositeQuery.queries.map((query) => query.spec.name);
      expect(new Set(names).size, file).toBe(names.length);
    }
  });

  it('query only metrics defined in METRICS, each with an aggregation that suits its kind', () => {
    const problems: string[] = [];
    for (const [file, rule] of rules) {
      for (const query of builderQueries(rule)) {
        expect(query.spec.signal, file).toBe('metrics');
        expect(query.spec.aggregations, file).toHaveLength(1);
        const aggregation = query.spec.aggregations[0];
        const metric = resolve(aggregation.metricName);
        if (metric === undefined) problems.push(`${file} ${query.spec.name}: no metric ${aggregation.metricName}`);
        else {
          const problem = aggregationProblem(metric, aggregation);
          if (problem !== undefined) problems.push(`${file} ${query.spec.name}: ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('group and filter each metric only by its own labels or resource attributes', () => {
    const problems: string[] = [];
    for (const [file, rule] of rules) {
      for (const { spec } of builderQueries(rule)) {
        const metric = resolve(spec.aggregations[0].metricName);
        if (metric === undefined) continue;
        const allowed = [...metric.definition.labels, ...RESOURCE_ATTRIBUTES];
        for (const key of [...spec.groupBy.map((group) => group.name), ...conditions(spec.filter.expression).map((c) => c.key)]) {
          if (!allowed.includes(key)) problems.push(`${file} ${spec.name}: ${metric.definition.name} has no attribute ${key}`);
        }
        for (const group of spec.groupBy) {
          const context = RESOURCE_ATTRIBUTES.includes(group.name) ? 'resource' : 'attribute';
          if (group.fieldContext !== context)
            problems.push(`${file} ${spec.name}: groupBy ${group.name} must have fieldContext ${context}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('build formulas from their own queries, grouped alike, and name in annotations only labels grouped by', () => {
    const problems: string[] = [];
    for (const [file, rule] of rules) {
      const queries = new Map(builderQueries(rule).map((query) => [query.spec.name, query.spec]));
      const groupsOf = (names: string[]) => names.map((name) => (queries.get(name)?.groupBy ?? []).map((group) => group.name).join(','));
      for (const { spec } of formulas(rule)) {
        const operands: string[] = spec.expression.match(/[A-Za-z_]\w*/g) ?? [];
        if (operands.length === 0 || operands.some((operand) => !queries.has(operand)))
          problems.push(`${file}: ${spec.name} = ${spec.expression}`);
        if (new Set(groupsOf(operands)).size !== 1) problems.push(`${file}: the operands of ${spec.name} are grouped differently`);
      }
      const selected = rule.condition.selectedQueryName;
      const selectedFormula = formulas(rule).find((formula) => formula.spec.name === selected);
      const operands = selectedFormula?.spec.expression.match(/[A-Za-z_]\w*/g) ?? [selected];
      const grouped = new Set(operands.flatMap((name) => (queries.get(name)?.groupBy ?? []).map((group) => group.name)));
      for (const text of Object.values(rule.annotations)) {
        for (const [, label] of text.matchAll(/\{\{\$labels\.([^}\s]+)\}\}/g)) {
          if (!grouped.has(label)) problems.push(`${file}: annotation names {{$labels.${label}}}, which ${selected} is not grouped by`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
