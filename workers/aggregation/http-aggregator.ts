import { tagCode, tagDetail, tagWithoutCode } from '../../src/contract/codes.js';
import { foldKeyHash } from '../../src/contract/fold-layout.js';
import type { HeldSeries } from '../../src/contract/held-series.js';
import { requestBytesOf, responseBytesOf } from '../../src/contract/record-codec.js';
import { KEY, RECORD_FLOATS, RECORD_WORDS, TAG, VALUE_FLOAT } from '../../src/contract/ring-layout.js';
import { methodName } from '../../src/contract/http-methods.js';
import { METRICS } from '../../src/contract/metrics.js';
import { OVERFLOW_ID } from '../../src/contract/strings-layout.js';
import type { Dictionary } from '../dictionary.js';
import type { Collection } from '../export/collection.js';
import { EndpointResolver } from '../labels/endpoint-resolver.js';
import { CounterStore } from './counter-store.js';
import { collectCounter, collectHistogram, collectSum } from './export-helpers.js';
import { type DurationAggregation, type DurationStore, collectDurations, durationStore } from './duration-store.js';
import { HistogramStore } from './histogram-store.js';
import type { Generation } from './series-store.js';
import type { MemoryBudget } from '../memory-budget.js';
import { SumStore } from './sum-store.js';
import { tenantAttributes, withTenant } from './tenant-attributes.js';

/** Columns of the per (tenant, endpoint category) store. */
const CALLS = 0;
const REQUEST_BYTES = 1;
const RESPONSE_BYTES = 2;
/** The next three feed the per-interval gauges; they have their own baselines, moved with the gauge points. */
const RATE_CALLS = 3;
const RATE_ERRORS = 4;
const RATE_SECONDS = 5;
const TENANT_COLUMNS = 6;

/**
 * Links kept in each request series' cell, after its count: the numbers (+1) of its series in the other stores,
 * and the epoch they belong to.
 */
const LINK_DURATION = 1;
const LINK_REQUEST_SIZE = 2;
const LINK_RESPONSE_SIZE = 3;
const LINK_TENANT = 4;
const LINK_EPOCH = 5;
const LINKS = 5;

export interface HttpAggregatorOptions {
  maxSeries: number;
  budget: MemoryBudget;
  nowMillis: number;
  idleMillis: number;
  /** How the duration histogram is kept and exported (otlp.histogramAggregation). [default: explicit buckets] */
  histogramAggregation?: DurationAggregation;
  /** Whether records feed the tenant rows at first; configure() changes it (setTenantMetrics). */
  tenantMetrics: boolean;
  /** Where the request series kept under their own tenant are told to the main thread's fold (held-series.ts). */
  heldSeries?: HeldSeries;
}

/**
 * Aggregates HTTP records. Per record: one counter series (method, status, route, tenant), one duration
 * histogram (method, route, tenant), two size histograms (method, route) and, while tenant metrics are on, one
 * (tenant, endpoint category) row from which tenant_api_calls_total, tenant_data_processed_bytes,
 * tenant_error_rate and tenant_avg_response_time_seconds are derived at export time.
 */
export class HttpAggregator {
  private readonly endpoints: EndpointResolver;
  /** Key: (TAG word = kind | method | status, route, tenant). */
  readonly requests: CounterStore;
  /** Key: (kind | method, route, tenant). */
  readonly durations: DurationStore;
  /** Key: (method, route). */
  readonly requestSizes: HistogramStore;
  readonly responseSizes: HistogramStore;
  /** Key: (tenant, category). Kept while tenant metrics are off too: rows still pending from before go out. */
  readonly tenants: SumStore;
  /** Whether records feed the tenant rows (metrics.tenant). */
  private feedTenants: boolean;
  private readonly idleMillis: number;
  private readonly heldSeries: HeldSeries | undefined;
  /**
   * Removals in the linked stores (duration, sizes, tenant rows), shared by them: a link is valid only if taken at
   * the current value. Read per record, so that a removal invalidates every link at once, even mid-export.
   */
  private readonly linkedGeneration: Generation = { value: 1 };

  constructor(
    private readonly dictionary: Dictionary,
    options: HttpAggregatorOptions,
  ) {
    const { maxSeries, budget, nowMillis } = options;
    this.endpoints = new EndpointResolver(dictionary);
    this.requests = new CounterStore(3, maxSeries, budget, nowMillis, LINKS).foldTenants(2);
    const generation = this.linkedGeneration;
    this.durations = durationStore(
      options.histogramAggregation ?? 'explicit_bucket_histogram',
      3,
      METRICS.httpDuration,
      maxSeries,
      budget,
      nowMillis,
      generation,
    ).foldTenants(2);
    this.requestSizes = new HistogramStore(2, METRICS.httpRequestSize.boundaries, maxSeries, budget, nowMillis, generation);
    this.responseSizes = new HistogramStore(2, METRICS.httpResponseSize.boundaries, maxSeries, budget, nowMillis, generation);
    this.tenants = new SumStore(2, TENANT_COLUMNS, maxSeries, budget, nowMillis, generation).foldTenants(0);
    this.feedTenants = options.tenantMetrics;
    this.idleMillis = options.idleMillis;
    this.heldSeries = options.heldSeries;
  }

  get seriesCount(): number {
    return this.requests.size + this.durations.size + this.requestSizes.size + this.responseSizes.size + this.tenants.size;
  }

  /** Records whose own request series did not fit and went to `__overflow__`'s (each counted once). */
  get folded(): number {
    return this.requests.folded;
  }

  get overflowed(): number {
    return (
      this.requests.overflowed +
      this.durations.overflowed +
      this.requestSizes.overflowed +
      this.responseSizes.overflowed +
      this.tenants.overflowed
    );
  }

  /**
   * configure(): whether records feed the tenant rows from now on. Rows keep what they hold pending until it is
   * exported; every request series' link to its row is taken again, under the new rule.
   */
  setTenantMetrics(on: boolean): void {
    if (on === this.feedTenants) return;
    this.feedTenants = on;
    this.linkedGeneration.value++;
  }

  /** `tenant`: the id the shard aggregates the record under (its own, or `__overflow__` when folded). */
  consume(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number, tenant: number): void {
    const at = slot * RECORD_WORDS;
    const tag = words[at + TAG];
    const endpoint = words[at + KEY];
    const seconds = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    const requestBytes = requestBytesOf(words, slot);
    const responseBytes = responseBytesOf(words, slot);
    const requests = this.requests;
    const route = this.endpoints.route(endpoint);
    const series = requests.seriesOf(tag, route, tenant, nowMillis);
    const cells = requests.cells;
    const link = series * (LINKS + 1);
    cells[link]++;

    // One hash lookup per record: the request series remembers the numbers of its duration, size and tenant
    // series (links, +1 so that 0 means unresolved). They are looked up again only for a new request series,
    // for the overflow series (shared by many keys), or after any of those stores removed a series.
    let duration: number;
    let requestSize: number;
    let responseSize: number;
    let tenantRow: number;
    const epoch = this.linkedGeneration.value;
    if (series !== 0 && cells[link + LINK_EPOCH] === epoch && cells[link + LINK_DURATION] !== 0) {
      duration = cells[link + LINK_DURATION] - 1;
      requestSize = cells[link + LINK_REQUEST_SIZE] - 1;
      responseSize = cells[link + LINK_RESPONSE_SIZE] - 1;
      tenantRow = cells[link + LINK_TENANT] - 1;
    } else {
      const method = tagDetail(tag);
      // The tenant the request series is kept under: `__overflow__` when it did not fit (SeriesStore.foldTenants),
      // and then its linked series too, so that every record reaching this series links alike.
      const owner = series !== 0 ? requests.keys[series * 3 + 2] : tenant;
      duration = this.durations.seriesOf(tagWithoutCode(tag), route, owner, nowMillis);
      requestSize = this.requestSizes.seriesOf(method, route, 0, nowMillis);
      responseSize = this.responseSizes.seriesOf(method, route, 0, nowMillis);
      tenantRow = this.feedTenants ? this.tenants.seriesOf(owner, this.endpoints.category(endpoint), 0, nowMillis) : -1;
      // A request series of its own tenant: the fold must keep its burst under its own key (held-series.ts). Here,
      // not per record: this branch runs once per new series (and after a removal in a linked store).
      if (series !== 0 && owner === tenant && tenant !== OVERFLOW_ID) this.heldSeries?.add(foldKeyHash(tag, endpoint, tenant, 0, 0, 0));
      if (series !== 0) {
        cells[link + LINK_DURATION] = duration + 1;
        cells[link + LINK_REQUEST_SIZE] = requestSize + 1;
        cells[link + LINK_RESPONSE_SIZE] = responseSize + 1;
        cells[link + LINK_TENANT] = tenantRow + 1;
        cells[link + LINK_EPOCH] = epoch;
      }
    }

    this.durations.record(duration, seconds);
    this.requestSizes.record(requestSize, requestBytes);
    this.responseSizes.record(responseSize, responseBytes);
    if (tenantRow >= 0) {
      const pending = this.tenants.pending;
      const row = tenantRow * TENANT_COLUMNS;
      pending[row + CALLS] += 1;
      pending[row + REQUEST_BYTES] += requestBytes;
      pending[row + RESPONSE_BYTES] += responseBytes;
      pending[row + RATE_CALLS] += 1;
      if (tagCode(tag) >= 500) pending[row + RATE_ERRORS] += 1;
      pending[row + RATE_SECONDS] += seconds;
    }
  }

  collect(collection: Collection): void {
    const idle = this.idleMillis;
    const { requests, durations, endpoints, dictionary } = this;
    const routeName = (route: number) => endpoints.routes.name(route);
    collectCounter(collection, METRICS.httpRequests, requests, idle, (s) => {
      const at = s * 3;
      const tag = requests.keys[at];
      const attributes = { method: methodName(tagDetail(tag)), route: routeName(requests.keys[at + 1]), status_code: tagCode(tag) };
      return withTenant(attributes, dictionary, requests.keys[at + 2]);
    });
    collectDurations(collection, METRICS.httpDuration, durations, idle, (s) => {
      const at = s * 3;
      const attributes = { method: methodName(tagDetail(durations.keys[at])), route: routeName(durations.keys[at + 1]) };
      return withTenant(attributes, dictionary, durations.keys[at + 2]);
    });
    for (const [definition, store] of [
      [METRICS.httpRequestSize, this.requestSizes],
      [METRICS.httpResponseSize, this.responseSizes],
    ] as const) {
      collectHistogram(collection, definition, store, idle, (s) => ({
        method: methodName(store.keys[s * 2]),
        route: routeName(store.keys[s * 2 + 1]),
      }));
    }
    this.collectTenants(collection, this.tenants);
  }

  /** tenant_* metrics: API calls per (tenant, category) as stored; bytes and rates summed over categories. */
  private collectTenants(collection: Collection, tenants: SumStore): void {
    const { dictionary, endpoints } = this;
    collectSum(collection, METRICS.tenantApiCalls, tenants, CALLS, this.idleMillis, (s) => ({
      ...tenantAttributes(dictionary, tenants.keys[s * 2]),
      endpoint_category: endpoints.categories.name(tenants.keys[s * 2 + 1]),
    }));

    for (const [tenant, rows] of rowsByTenant(tenants)) {
      const attributes = tenantAttributes(dictionary, tenant);
      const startMillis = Math.min(...rows.map((row) => tenants.startTimes[row]));
      for (const [column, dataType] of [
        [REQUEST_BYTES, 'request'],
        [RESPONSE_BYTES, 'response'],
      ] as const) {
        const sent = rows.map((row) => tenants.delta(row, column));
        const total = sent.reduce((sum, value) => sum + value, 0);
        if (total === 0) continue;
        collection.add(METRICS.tenantDataProcessed, { ...attributes, data_type: dataType }, startMillis, total, {
          commit: () => {
            for (let i = 0; i < rows.length; i++) tenants.commit(rows[i], column, sent[i]);
          },
        });
      }
      const rates = [RATE_CALLS, RATE_ERRORS, RATE_SECONDS].map((column) => rows.map((row) => tenants.delta(row, column)));
      const [calls, errors, seconds] = rates.map((sent) => sent.reduce((sum, value) => sum + value, 0));
      if (calls === 0) continue;
      // The two gauges describe one interval: its baselines move only once both were accepted. If one failed,
      // the next export restates both over the longer interval (a repeated gauge is harmless, a lost one is not).
      let accepted = 0;
      const settlement = {
        commit: () => {
          if (++accepted < 2) return;
          for (let c = 0; c < rates.length; c++) {
            for (let i = 0; i < rows.length; i++) tenants.commit(rows[i], RATE_CALLS + c, rates[c][i]);
          }
        },
      };
      collection.add(METRICS.tenantErrorRate, attributes, startMillis, errors / calls, settlement);
      collection.add(METRICS.tenantAvgResponseTime, attributes, startMillis, seconds / calls, settlement);
    }
  }
}

/** Rows of the tenant store with something to export, grouped by tenant (the overflow row under '__overflow__'). */
function rowsByTenant(tenants: SumStore): Map<number, number[]> {
  const byTenant = new Map<number, number[]>();
  for (let row = 0; row < tenants.end; row++) {
    if (!tenants.isLive(row)) continue;
    let pending = false;
    for (let column = REQUEST_BYTES; column < TENANT_COLUMNS; column++) pending ||= tenants.delta(row, column) !== 0;
    if (!pending) continue;
    const tenant = tenants.isOverflow(row) ? OVERFLOW_ID : tenants.keys[row * 2];
    const rows = byTenant.get(tenant);
    if (rows === undefined) byTenant.set(tenant, [row]);
    else rows.push(row);
  }
  return byTenant;
}
