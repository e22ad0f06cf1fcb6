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
 * them with the tenant (`forgetTenants`, registered at the shard's forget point), so their number is bounded by
 * the tenants held now (maxTenants), the routes (maxRoutes) and maxSeries with its overflow series. A forgotten
 * tenant that returns starts from zero, which Prometheus reads as a counter reset.
 */
import type { Histogram } from '@opentelemetry/sdk-metrics';
import type { MetricFamilyText } from '../../src/exposition.js';
import { METRICS, type MetricDefinition } from '../../src/contract/metrics.js';
import type { Batch } from './collection.js';
import { braces, formatNumber, labelPairs, prometheusName } from './prometheus-text.js';

/** One series' running value: a number (counter, gauge) or a histogram's bucket counts, sum and count. */
interface Cell {
  value: number;
  counts: number[] | undefined;
  sum: number;
}

type Family = Map<string, Cell>;

const DEFINITIONS: readonly MetricDefinition[] = Object.values(METRICS);

export class CumulativeTotals {
  private readonly accepted = new Map<MetricDefinition, Family>();
  /** For each tenant_id label value, the cells that carry it: what forgetTenants removes. */
  private readonly byTenant = new Map<string, [Family, string][]>();
  /** Renders open now (at most one in practice): while any is, changes to the totals wait in `deferred`. */
  private openRenders = 0;
  /** Absorbs and forgets that came while a render was open, applied in order when the last one closes. */
  private deferred: (() => void)[] = [];

  /** Drops every accepted total of these tenants (tenant_id label values). */
  forgetTenants(tenants: Iterable<string>): void {
    const values = [...tenants];
    if (this.openRenders > 0) this.deferred.push(() => this.forgetNow(values));
    else this.forgetNow(values);
  }

  /** Adds a settled batch's points (call it right after `batch.commit()`). */
  absorb(batch: Batch): void {
    if (this.openRenders > 0) this.deferred.push(() => this.absorbNow(batch));
    else this.absorbNow(batch);
  }

  /**
   * Opens a render of every series as accepted + pending, done a few cells at a time by `step` so that the worker
   * can yield between steps. `pending`: the batches of a collection taken for this render (aborted by the caller,
   * in the same synchronous turn); `shardLabels`: `ringmeter_shard="n"` with several shards, else empty.
   *
   * The pending part is a snapshot (those batches); the accepted part is frozen for as long as the render is open:
   * a batch that settles meanwhile was pending in the snapshot, so absorbing it at once would count it twice in the
   * series not rendered yet. Its absorb (and any forget) waits until the render closes, in the order they came.
   */
  openRender(pending: readonly Batch[], shardLabels: string): TotalsRender {
    this.openRenders++;
    const steps = this.renderSteps(pending, shardLabels);
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

  private forgetNow(tenants: readonly string[]): void {
    for (const tenant of tenants) {
      const cells = this.byTenant.get(tenant);
      if (cells === undefined) continue;
      for (const [family, key] of cells) family.delete(key);
      this.byTenant.delete(tenant);
    }
  }

  private absorbNow(batch: Batch): void {
    for (const [definition, points] of batch.points) {
      let family = this.accepted.get(definition);
      if (family === undefined) {
        family = new Map();
        this.accepted.set(definition, family);
      }
      for (const point of points) {
        const key = labelPairs(point.attributes);
        const tenant = point.attributes.tenant_id;
        if (typeof tenant === 'string' && !family.has(key)) {
          let cells = this.byTenant.get(tenant);
          if (cells === undefined) {
            cells = [];
            this.byTenant.set(tenant, cells);
          }
          cells.push([family, key]);
        }
        addPoint(family, definition, key, point.value);
      }
    }
  }

  /** The render's work, yielding every CELLS_PER_STEP points or cells; returns the families. */
  private *renderSteps(pending: readonly Batch[], shardLabels: string): Generator<void, MetricFamilyText[]> {
    const current = new Map<MetricDefinition, Family>();
    let done = 0;
    for (const batch of pending) {
      for (const [definition, points] of batch.points) {
        let family = current.get(definition);
        if (family === undefined) {
          family = new Map();
          current.set(definition, family);
        }
        for (const point of points) {
          addPoint(family, definition, labelPairs(point.attributes), point.value);
          if (++done % CELLS_PER_STEP === 0) yield;
        }
      }
    }
    const families: MetricFamilyText[] = [];
    for (const definition of DEFINITIONS) {
      const accepted = this.accepted.get(definition);
      const now = current.get(definition);
      if (accepted === undefined && now === undefined) continue;
      const name = prometheusName(definition);
      // Encoded a chunk at a time: no string of the whole family is ever built, and each encode fits in a slice.
      const samples: Uint8Array[] = [];
      let chunk = '';
      const labels = new Set<string>([...(accepted?.keys() ?? []), ...(now?.keys() ?? [])]);
      for (const key of labels) {
        const cell = combine(definition, accepted?.get(key), now?.get(key));
        chunk += renderCell(definition, name, braces(key, shardLabels), key, shardLabels, cell);
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

function addPoint(family: Family, definition: MetricDefinition, key: string, value: number | Histogram): void {
  let cell = family.get(key);
  if (typeof value === 'number') {
    if (cell === undefined) family.set(key, { value, counts: undefined, sum: 0 });
    // A gauge is its latest value; points of one family arrive in the order they were collected.
    else cell.value = definition.kind === 'gauge' ? value : cell.value + value;
    return;
  }
  if (cell === undefined) {
    cell = { value: 0, counts: new Array<number>(value.buckets.counts.length).fill(0), sum: 0 };
    family.set(key, cell);
  }
  const counts = cell.counts as number[];
  for (let i = 0; i < counts.length; i++) counts[i] += value.buckets.counts[i] ?? 0;
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
