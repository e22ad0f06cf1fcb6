import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS, type MetricDefinition } from 'ringmeter';
import {
  aggregationProblem,
  conditions,
  RESOURCE_ATTRIBUTES,
  resolve,
  type Aggregation,
  type QueriedMetric,
} from './support/signoz-metrics.js';

// The SigNoz dashboard in docs/signoz/ checked against METRICS: a renamed metric or label, a histogram queried like
// a counter, a panel missing from the layout or a metric left off the dashboard fails here, not in front of a user.

/** Metrics deliberately not charted, each with its reason. Empty: every metric in METRICS has a panel. */
const NOT_CHARTED: Record<string, string> = {};

const REDUCE_TO = ['sum', 'count', 'avg', 'min', 'max', 'last', 'median'];
const GRID_COLUMNS = 12;

interface GroupByKey {
  key: string;
  type: string;
}
interface BuilderQuery {
  queryName: string;
  dataSource: string;
  disabled: boolean;
  aggregations: Aggregation[];
  filter: { expression: string };
  groupBy: GroupByKey[];
  legend: string;
}
interface Formula {
  queryName: string;
  expression: string;
  legend: string;
  disabled: boolean;
}
interface Widget {
  id: string;
  title: string;
  panelTypes: string;
  yAxisUnit?: string;
  columnUnits?: Record<string, string>;
  query?: {
    queryType: string;
    builder: { queryData: BuilderQuery[]; queryFormulas: Formula[] };
    promql: Array<{ query: string }>;
    clickhouse_sql: Array<{ query: string }>;
  };
}
interface LayoutItem {
  i: string;
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Variable {
  name: string;
  type: string;
  multiSelect: boolean;
  showALLOption: boolean;
  dynamicVariablesAttribute?: string;
  dynamicVariablesSource?: string;
}
interface Dashboard {
  version: string;
  title: string;
  widgets: Widget[];
  layout: LayoutItem[];
  panelMap: Record<string, { widgets: LayoutItem[] }>;
  variables: Record<string, Variable>;
}

const text = readFileSync(new URL('../docs/signoz/ringmeter-dashboard.json', import.meta.url), 'utf8');
const dashboard = JSON.parse(text) as Dashboard;
const panels = dashboard.widgets.filter((widget) => widget.panelTypes !== 'row');
const definitions = Object.values(METRICS) as readonly MetricDefinition[];
const byName = new Map(definitions.map((definition) => [definition.name, definition]));

/** Every builder query of every panel, with its panel. */
const queries = panels.flatMap((widget) => (widget.query?.builder.queryData ?? []).map((query) => ({ widget, query })));

/** The y-axis units that fit a query's result. */
function fittingUnits({ definition, series }: QueriedMetric, aggregation: Aggregation): string[] {
  const sizeOrTime = (unit: string) => (unit === 's' ? ['s'] : unit === 'By' ? ['bytes'] : []);
  if (series === 'bucket') return sizeOrTime(definition.unit);
  if (definition.kind === 'gauge') {
    if (definition.unit === '%') return ['percent'];
    if (definition.unit === '1') return ['percentunit'];
    return definition.unit.startsWith('{') ? ['short', 'none'] : sizeOrTime(definition.unit);
  }
  const bytes = definition.unit === 'By' && series !== 'count';
  // Seconds summed per second of wall time: a share of time.
  const seconds = definition.unit === 's' && series === 'sum';
  if (aggregation.timeAggregation === 'rate') return bytes ? ['Bps'] : seconds ? ['percentunit'] : ['reqps', 'ops', 'short'];
  return bytes ? ['bytes'] : seconds ? ['s'] : ['short', 'none'];
}

const placeholders = (legend: string) => [...legend.matchAll(/\{\{([^}]+)\}\}/g)].map((match) => match[1]);

describe('SigNoz dashboard (docs/signoz/ringmeter-dashboard.json)', () => {
  it('is a v5 dashboard with panels', () => {
    expect(dashboard.version).toBe('v5');
    expect(dashboard.title).not.toBe('');
    expect(panels.length).toBeGreaterThan(0);
  });

  it('has unique widget ids, each placed exactly once in layout, inside the 12-column grid, without overlaps', () => {
    const ids = dashboard.widgets.map((widget) => widget.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.layout.map((item) => item.i).sort()).toEqual([...ids].sort());
    for (const item of dashboard.layout) {
      expect(item.x, item.i).toBeGreaterThanOrEqual(0);
      expect(item.y, item.i).toBeGreaterThanOrEqual(0);
      expect(item.w, item.i).toBeGreaterThanOrEqual(1);
      expect(item.h, item.i).toBeGreaterThanOrEqual(1);
      expect(item.x + item.w, item.i).toBeLessThanOrEqual(GRID_COLUMNS);
    }
    const overlaps = dashboard.layout.flatMap((a, index) =>
      dashboard.layout
        .slice(index + 1)
        .filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
        .map((b) => `${a.i} overlaps ${b.i}`),
    );
    expect(overlaps).toEqual([]);
  });

  it('puts every panel in exactly one section, at its layout position', () => {
    const rows = dashboard.widgets.filter((widget) => widget.panelTypes === 'row').map((row) => row.id);
    expect(Object.keys(dashboard.panelMap).sort()).toEqual([...rows].sort());
    const members = Object.values(dashboard.panelMap).flatMap((section) => section.widgets);
    expect(members.map((item) => item.i).sort()).toEqual(panels.map((widget) => widget.id).sort());
    const layoutById = new Map(dashboard.layout.map((item) => [item.i, item]));
    for (const member of members) {
      const { x, y, w, h } = layoutById.get(member.i)!;
      expect({ x: member.x, y: member.y, w: member.w, h: member.h }, member.i).toEqual({ x, y, w, h });
    }
  });

  it('uses Query Builder metrics queries only (delta series are invisible to PromQL)', () => {
    for (const widget of panels) {
      expect(widget.query?.queryType, widget.title).toBe('builder');
      expect(
        widget.query!.promql.every((promql) => promql.query === ''),
        widget.title,
      ).toBe(true);
      expect(
        widget.query!.clickhouse_sql.every((sql) => sql.query === ''),
        widget.title,
      ).toBe(true);
      const { queryData, queryFormulas } = widget.query!.builder;
      expect(
        [...queryData, ...queryFormulas].some((query) => !query.disabled),
        widget.title,
      ).toBe(true);
    }
    for (const { widget, query } of queries) {
      expect(query.dataSource, widget.title).toBe('metrics');
      expect(query.aggregations, widget.title).toHaveLength(1);
      // Value, table and pie panels ask for one number per series; SigNoz's Dashboards V2 refuses them without reduceTo.
      expect(REDUCE_TO, widget.title).toContain(query.aggregations[0].reduceTo);
    }
  });

  it('queries only metrics defined in METRICS, each with an aggregation that suits its kind', () => {
    const unknown: string[] = [];
    const problems: string[] = [];
    for (const { widget, query } of queries) {
      for (const aggregation of query.aggregations) {
        const metric = resolve(aggregation.metricName);
        if (metric === undefined) {
          unknown.push(`${widget.title}: ${aggregation.metricName}`);
          continue;
        }
        const problem = aggregationProblem(metric, aggregation);
        if (problem !== undefined) problems.push(`${widget.title}: ${problem}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('groups and filters each metric only by its own labels or resource attributes', () => {
    const problems: string[] = [];
    for (const { widget, query } of queries) {
      const metric = resolve(query.aggregations[0].metricName);
      if (metric === undefined) continue;
      const allowed = [...metric.definition.labels, ...RESOURCE_ATTRIBUTES];
      const keys = [...query.groupBy.map((group) => group.key), ...conditions(query.filter.expression).map((c) => c.key)];
      for (const key of keys) {
        if (!allowed.includes(key)) problems.push(`${widget.title} ${query.queryName}: ${metric.definition.name} has no attribute ${key}`);
      }
      for (const group of query.groupBy) {
        const type = RESOURCE_ATTRIBUTES.includes(group.key) ? 'resource' : 'tag';
        if (group.type !== type) problems.push(`${widget.title} ${query.queryName}: groupBy ${group.key} must have type ${type}`);
      }
      for (const name of placeholders(query.legend)) {
        if (!query.groupBy.some((group) => group.key === name))
          problems.push(`${widget.title} ${query.queryName}: legend {{${name}}} is not grouped by`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('filters every query by service.name, and by tenant_id where the metric has that label', () => {
    const variables = new Map(Object.values(dashboard.variables).map((variable) => [variable.name, variable]));
    const problems: string[] = [];
    for (const { widget, query } of queries) {
      const found = conditions(query.filter.expression);
      const has = (key: string, operator: string, value: string) =>
        found.some((c) => c.key === key && c.operator === operator && c.value === value);
      if (!has('service.name', '=', '$service.name')) problems.push(`${widget.title} ${query.queryName}: no service.name filter`);
      const metric = resolve(query.aggregations[0].metricName);
      const tenantLabelled = metric?.definition.labels.includes('tenant_id') ?? false;
      if (tenantLabelled !== has('tenant_id', 'IN', '$tenant_id')) {
        problems.push(
          `${widget.title} ${query.queryName}: tenant_id filter ${tenantLabelled ? 'missing' : 'on a metric without tenant_id'}`,
        );
      }
      for (const condition of found.filter((c) => c.value.startsWith('$'))) {
        const variable = variables.get(condition.value.slice(1));
        if (variable === undefined) problems.push(`${widget.title} ${query.queryName}: no variable ${condition.value}`);
        else if (variable.multiSelect !== (condition.operator === 'IN'))
          problems.push(`${widget.title} ${query.queryName}: ${condition.value} needs ${variable.multiSelect ? 'IN' : '='}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has a service.name variable and a multi-select tenant_id variable whose ALL drops the filter', () => {
    const variables = Object.values(dashboard.variables);
    expect(variables.map((variable) => variable.name).sort()).toEqual(['service.name', 'tenant_id']);
    for (const variable of variables) {
      // DYNAMIC: SigNoz skips the condition when ALL is selected, instead of sending every tenant id.
      expect(variable, variable.name).toMatchObject({
        type: 'DYNAMIC',
        dynamicVariablesAttribute: variable.name,
        dynamicVariablesSource: 'Metrics',
      });
    }
    expect(variables.find((variable) => variable.name === 'tenant_id')).toMatchObject({ multiSelect: true, showALLOption: true });
  });

  it('builds formulas from the queries of their own panel', () => {
    const problems: string[] = [];
    for (const widget of panels) {
      const { queryData, queryFormulas } = widget.query!.builder;
      const names = queryData.map((query) => query.queryName);
      for (const formula of queryFormulas) {
        const operands: string[] = formula.expression.match(/[A-Za-z_]\w*/g) ?? [];
        if (operands.length === 0 || operands.some((operand) => !names.includes(operand)))
          problems.push(`${widget.title}: ${formula.queryName} = ${formula.expression}`);
        const groups = queryData
          .filter((query) => operands.includes(query.queryName))
          .flatMap((query) => query.groupBy.map((group) => group.key));
        for (const name of placeholders(formula.legend)) {
          if (!groups.includes(name)) problems.push(`${widget.title}: legend {{${name}}} of ${formula.queryName} is not grouped by`);
        }
      }
      const allNames = [...names, ...queryFormulas.map((formula) => formula.queryName)];
      expect(new Set(allNames).size, widget.title).toBe(allNames.length);
    }
    expect(problems).toEqual([]);
  });

  it('gives each shown query a y-axis (or column) unit that matches the metric unit', () => {
    const problems: string[] = [];
    for (const { widget, query } of queries) {
      const metric = resolve(query.aggregations[0].metricName);
      if (metric === undefined || query.disabled) continue;
      const unit = widget.panelTypes === 'table' ? widget.columnUnits?.[query.queryName] : widget.yAxisUnit;
      const fitting = fittingUnits(metric, query.aggregations[0]);
      if (unit === undefined || !fitting.includes(unit))
        problems.push(`${widget.title} ${query.queryName}: unit ${unit}, expected one of ${fitting.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('charts every metric in METRICS, except the documented NOT_CHARTED ones', () => {
    const charted = new Set(
      queries.flatMap(({ query }) => query.aggregations.map((a) => resolve(a.metricName)?.definition.name ?? a.metricName)),
    );
    const expected = definitions.map((definition) => definition.name).filter((name) => !(name in NOT_CHARTED));
    expect(expected.filter((name) => !charted.has(name))).toEqual([]);
    for (const name of Object.keys(NOT_CHARTED)) {
      expect(byName.has(name), `${name} is not in METRICS`).toBe(true);
      expect(charted.has(name), `${name} is charted after all`).toBe(false);
    }
  });
});
