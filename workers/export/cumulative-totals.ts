/**
 * Running totals since the worker started, for the Prometheus exposition (`GET /metrics`), kept beside the delta
 * export state without changing it.
 *
 * A series' cumulative value is what the backend has accepted so far plus what is still pending. The accepted
 * part is added here when a batch settles (`absorb`, called right after `Batch.commit()`), from the very data
 * points that batch carried; the pending part is read at render time by a collection that is aborted at once
 * (`openRender`), which gives back what collecting takes (histogram min and max, pool peaks, exporter durations),
 * so the next OTLP export sees exactly what it would have seen. A point is therefore counted once at any moment:
 * pending until its batch is accepted, then accepted. Batches the backend refused for good are absorbed too: the
 * records happened, only their export failed. A render is made in slices; while one is open the totals it reads
 * stay as they were when it opened (absorbs and forgets wait), so it is one consistent snapshot.
 *
 * Totals live only in this worker's memory: a replacement worker starts its shard's counters from zero, which
 * Prometheus treats as a counter reset (rate() and increase() handle it), as it would a process restart. Entries
 * are kept while the worker runs, as Prometheus clients keep theirs, except a tenant's: tenant retention forgets
 * them with the tenant (`forgetTenants`, registered at the shard's forget point). A forgotten tenant that returns
 * starts from zero, which Prometheus reads as a counter reset.
 *
 * Memory: charged to the shard's budget as cells are made (docs/architecture.md, "Memory accounting"): a cell's
 * label key (a string), its Map entry and its slots in the family's typed columns (value; for a histogram, sum
 * and bucket counts), with no object per cell. A cell the budget refuses is added to the family's overflow cell
 * (`otel_metric_overflow="true"`, the label the stores' overflow series carry): every total stays exact, only
 * that series' own line in GET /metrics starts from what is still pending.
 */
import type { MetricFamilyText } from '../../src/contract/protocol.js';
import { METRICS, type MetricDefinition } from '../../src/contract/metrics.js';
import type { Reservations } from '../memory-budget.js';
import type { Batch, DataPoint, PointValue } from './collection.js';
import type { SeriesRun } from './series-run.js';
import { explicitValue } from './explicit-view.js';
import { type Cell, Family } from './totals-family.js';
import { braces, escapeLabelValue, formatNumber, labelPairs, prometheusName } from './prometheus-text.js';

const DEFINITIONS: readonly MetricDefinition[] = Object.values(METRICS);
/** The key of a family's overflow cell: what the stores' overflow series render as. */
const OVERFLOW_KEY = labelPairs({ 'otel.metric.overflow': true });
const TENANT_LABEL = 'tenant_id="';

export class CumulativeTotals {
  private readonly accepted = new Map<MetricDefinition, Family>();
  /** Renders open now (at most one in practice): while any is, changes to the totals wait in `deferred`. */
  private openRenders = 0;
  /** Absorbs and forgets that came while a render was open, applied in order when the last one closes. */
  private deferred: (() => void)[] = [];

  constructor(private readonly budget: Reservations) {}

  /** Drops every accepted total of these tenants (tenant_id label values), giving their memory back. */
  forgetTenants(tenants: Iterable<string>): void {
    const values = [...tenants];
    if (this.openRenders > 0) this.deferred.push(() => this.forgetNow(values));
    else this.forgetNow(values);
  }

  /** Adds a settled batch's points (call it right after `batch.commit()`). */
  absorb(batch: Batch): void {
    // Deferred, a point's series may have been removed and its number reused by then: it is found by its labels,
    // read now (allPoints).
    if (this.openRenders > 0) {
      const points = batch.allPoints();
      this.deferred.push(() => this.absorbPoints(points, false));
    } else {
      this.absorbRuns(batch.runs);
      this.absorbPoints(batch.points, true);
    }
  }

  /**
   * Opens a render of every series as accepted + pending, done a few cells at a time by `step` so that the worker
   * can yield between steps. `pending`: the batches of a collection taken for this render (aborted by the caller,
   * in the same synchronous turn); `shardLabels`: `ringmeter_shard="n"` with several shards, else empty.
   *
   * The pending part is a snapshot (those batches); the accepted part is frozen for as long as the render is open:
   * a batch that settles meanwhile was pending in the snapshot, so absorbing it at once would count it twice in the
   * series not rendered yet. Its absorb (and any forget) waits until the render closes, in the order they came;
   * that also keeps every cell number the render walks valid (no cell is freed or reused meanwhile).
   */
  openRender(pending: readonly Batch[], shardLabels: string): TotalsRender {
    this.openRenders++;
    // Made into objects now, while the runs' series still hold the keys they were collected under.
    const steps = this.renderSteps(
      pending.map((batch) => batch.allPoints()),
      shardLabels,
    );
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      if (--this.openRenders > 0) return;
      const deferred = this.deferred;
      this.deferred = [];
      for (const change of deferred) change();
    };
    return {
      step(deadlineMillis: number): MetricFamilyText[] | undefined {
        if (closed) throw new Error('render already closed');
        for (;;) {
          const next = steps.next();
          if (next.done === true) {
            close();
            return next.value;
          }
          if (performance.now() >= deadlineMillis) return undefined;
        }
      },
      close,
    };
  }

  /**
   * Walks every cell's key once per call (the shard forgets tenants in batches, after an export), keeping no index
   * per tenant.
   */
  private forgetNow(tenants: readonly string[]): void {
    const labels = new Set<string>();
    for (const tenant of tenants) labels.add(`${TENANT_LABEL}${escapeLabelValue(tenant)}"`);
    if (labels.size === 0) return;
    let freed = 0;
    for (const family of this.accepted.values()) {
      for (let cell = 0; cell < family.keys.length; cell++) {
        const key = family.keys[cell];
        if (key !== undefined && labels.has(tenantPair(key))) freed += family.remove(cell);
      }
    }
    // A freed cell may be reused by another key: no series number may lead to it any more.
    for (const family of this.accepted.values()) freed += family.forgetSeries();
    // The columns stay (a freed cell is reused): only the keys and entries go.
    this.budget.release(freed);
  }

  /**
   * `bySeries`: right after the batch's commit, when each point's series still holds the key it was collected
   * under (a series with data in flight is never removed), so its cell may be found by its series number.
   */
  private absorbPoints(batchPoints: ReadonlyMap<MetricDefinition, readonly DataPoint[]>, bySeries: boolean): void {
    for (const [definition, points] of batchPoints) {
      const family = this.familyOf(definition);
      for (const point of points) {
        let cell = bySeries ? family.cellOfPoint(point, this.budget) : family.cellOf(labelPairs(point.attributes), this.budget);
        // Refused at the memory bound: into the family's overflow cell, one per metric, charged whatever.
        if (cell < 0) cell = family.cellOf(OVERFLOW_KEY, this.budget, true);
        addPoint(family, cell, point.value);
      }
    }
  }

  /** absorbPoints(…, true) for a batch's runs, from their columns: a cell found by series number, no object per point. */
  private absorbRuns(runs: readonly SeriesRun[]): void {
    for (const run of runs) {
      const { spec } = run;
      const family = this.familyOf(spec.definition);
      const attributesOf = spec.attributes.attributesOf;
      const gauge = spec.definition.kind === 'gauge';
      const width = family.buckets;
      for (let i = 0; i < run.length; i++) {
        let cell = family.cellOfSeries(spec.store, run.series[i], attributesOf, this.budget);
        if (cell < 0) cell = family.cellOf(OVERFLOW_KEY, this.budget, true);
        if (spec.kind === 'number') {
          if (gauge) family.values[cell] = run.values[i];
          else family.values[cell] += run.values[i];
          continue;
        }
        const at = cell * width;
        const from = i * spec.buckets;
        for (let b = 0; b < width; b++) family.counts[at + b] += run.buckets[from + b];
        family.values[cell] += run.counts[i];
        family.sums[cell] += run.values[i];
      }
    }
  }

  private familyOf(definition: MetricDefinition): Family {
    let family = this.accepted.get(definition);
    if (family === undefined) {
      family = new Family(definition);
      this.accepted.set(definition, family);
    }
    return family;
  }

  /** The render's work, yielding every CELLS_PER_STEP points or cells; returns the families. */
  private *renderSteps(
    pending: readonly ReadonlyMap<MetricDefinition, readonly DataPoint[]>[],
    shardLabels: string,
  ): Generator<void, MetricFamilyText[]> {
    const current = new Map<MetricDefinition, Map<string, Cell>>();
    let done = 0;
    for (const batchPoints of pending) {
      for (const [definition, points] of batchPoints) {
        let family = current.get(definition);
        if (family === undefined) {
          family = new Map();
          current.set(definition, family);
        }
        for (const point of points) {
          addPending(family, definition, labelPairs(point.attributes), point.value);
          if (++done % CELLS_PER_STEP === 0) yield;
        }
      }
    }
    const families: MetricFamilyText[] = [];
    for (const definition of DEFINITIONS) {
      const accepted = this.accepted.get(definition);
      const now = current.get(definition);
      if ((accepted === undefined || accepted.index.size === 0) && now === undefined) continue;
      const name = prometheusName(definition);
      // Encoded a chunk at a time: no string of the whole family is ever built, and each encode fits in a slice.
      const samples: Uint8Array[] = [];
      let chunk = '';
      const labels = new Set<string>([...(accepted?.index.keys() ?? []), ...(now?.keys() ?? [])]);
      for (const key of labels) {
        const cell = accepted?.index.get(key);
        const combined = combine(definition, cell === undefined ? undefined : accepted?.read(cell), now?.get(key));
        chunk += renderCell(definition, name, braces(key, shardLabels), key, shardLabels, combined);
        if (chunk.length >= CHUNK_CHARS) {
          samples.push(ENCODER.encode(chunk));
          chunk = '';
        }
        if (++done % CELLS_PER_STEP === 0) yield;
      }
      if (chunk !== '') samples.push(ENCODER.encode(chunk));
      families.push({ name, type: definition.kind, help: definition.description, samples });
    }
    return families;
  }
}

/** One render in progress (CumulativeTotals.openRender). */
export interface TotalsRender {
  /** Renders until done (returns the families, and closes) or until `deadlineMillis` (performance.now()) passes. */
  step(deadlineMillis: number): MetricFamilyText[] | undefined;
  /** Gives up (or ends) the render: the totals take the changes that waited for it. Safe to call twice. */
  close(): void;
}

/** Points or cells rendered between two looks at the clock: a few tens of microseconds of work. */
const CELLS_PER_STEP = 16;
/** Characters of sample lines per encoded chunk (64 KiB of ASCII). */
const CHUNK_CHARS = 65_536;
const ENCODER = new TextEncoder();

/** The `tenant_id="…"` pair of a label key ('' if none), as labelPairs wrote it: escaped, so the first bare quote ends it. */
function tenantPair(key: string): string {
  const at = key.startsWith(TENANT_LABEL) ? 0 : key.indexOf(`,${TENANT_LABEL}`) + 1;
  if (at === 0 && !key.startsWith(TENANT_LABEL)) return '';
  let end = at + TENANT_LABEL.length;
  while (end < key.length && key[end] !== '"') end += key[end] === '\\' ? 2 : 1;
  return key.slice(at, end + 1);
}

function addPoint(family: Family, cell: number, point: PointValue): void {
  const value = explicitValue(family.definition, point);
  if (typeof value === 'number') {
    // A gauge is its latest value; points of one family arrive in the order they were collected.
    if (family.definition.kind === 'gauge') family.values[cell] = value;
    else family.values[cell] += value;
    return;
  }
  const at = cell * family.buckets;
  for (let i = 0; i < family.buckets; i++) family.counts[at + i] += value.counts[i] ?? 0;
  family.values[cell] += value.count;
  family.sums[cell] += value.sum ?? 0;
}

function addPending(family: Map<string, Cell>, definition: MetricDefinition, key: string, point: PointValue): void {
  const value = explicitValue(definition, point);
  let cell = family.get(key);
  if (typeof value === 'number') {
    if (cell === undefined) family.set(key, { value, counts: undefined, sum: 0 });
    else cell.value = definition.kind === 'gauge' ? value : cell.value + value;
    return;
  }
  if (cell === undefined) {
    cell = { value: 0, counts: new Array<number>(value.counts.length).fill(0), sum: 0 };
    family.set(key, cell);
  }
  const counts = cell.counts as number[];
  for (let i = 0; i < counts.length; i++) counts[i] += value.counts[i] ?? 0;
  cell.value += value.count;
  cell.sum += value.sum ?? 0;
}

/** Accepted + pending, without changing either (the accepted cell is reused by every render). */
function combine(definition: MetricDefinition, accepted: Cell | undefined, pending: Cell | undefined): Cell {
  if (accepted === undefined) return pending as Cell;
  if (pending === undefined) return accepted;
  if (definition.kind === 'gauge') return pending;
  const counts = accepted.counts?.map((count, i) => count + (pending.counts?.[i] ?? 0));
  return { value: accepted.value + pending.value, counts, sum: accepted.sum + pending.sum };
}

function renderCell(definition: MetricDefinition, name: string, labels: string, key: string, shardLabels: string, cell: Cell): string {
  if (definition.kind !== 'histogram' || cell.counts === undefined) return `${name}${labels} ${formatNumber(cell.value)}\n`;
  const boundaries = definition.boundaries ?? [];
  let text = '';
  let cumulative = 0;
  for (let i = 0; i < boundaries.length; i++) {
    cumulative += cell.counts[i];
    text += `${name}_bucket${braces(key, shardLabels, `le="${formatNumber(boundaries[i])}"`)} ${cumulative}\n`;
  }
  text += `${name}_bucket${braces(key, shardLabels, 'le="+Inf"')} ${cell.value}\n`;
  text += `${name}_sum${labels} ${formatNumber(cell.sum)}\n${name}_count${labels} ${cell.value}\n`;
  return text;
}
