import {
  COST_RESOURCES,
  type EndpointCell,
  type ShardAnalytics,
  type TableCell,
  type TenantAnalytics,
  type TenantSelection,
} from '../../src/contract/analytics.js';
import { tenantAttributes } from '../aggregation/tenant-attributes.js';
import type { Collection } from '../export/collection.js';
import { KIND_HTTP, QUERY_KEY_IS_SQL, QUERY_SUCCESS, QUERY_TYPES, QUERY_UNTIMED, USAGE_BYTES } from '../../src/contract/codes.js';
import { A, AUX, B, KEY, RECORD_FLOATS, RECORD_WORDS, TAG, TENANT, VALUE_FLOAT } from '../../src/contract/ring-layout.js';
import { METRICS } from '../../src/contract/metrics.js';
import { isTenantSlotId } from '../../src/contract/strings-layout.js';
import type { ActivityThresholds } from '../../src/options.js';
import { methodName } from '../../src/http-methods.js';
import { LogSketch } from '../../src/sketch/log-sketch.js';
import type { Dictionary } from '../dictionary.js';
import { SqlResolver } from '../labels/sql-resolver.js';
import { activityPatterns } from './activity-pattern.js';
import { ActivityWindow } from './activity-window.js';
import { type IntervalTotals, TenantInterval, type TenantTotals } from './tenant-interval.js';

const TWO_TO_32 = 2 ** 32;
/** Cells a tenant keeps per family; further endpoints or tables share one overflow cell (key -1). */
export const MAX_CELLS_PER_TENANT = 64;
/** Route sketches a shard keeps; further method + route pairs are not sketched (their tenants still are). */
export const MAX_ROUTE_SKETCHES = 1000;
const OVERFLOW_CELL = -1;
const HOUR_MILLIS = 3_600_000;

/** An endpoint cell's counters as the contract names them (analytics.ts), plus its activity window. */
type HttpCell = Omit<EndpointCell, 'method' | 'route' | 'requestsLastHour'> & { window: ActivityWindow };

/** A table cell's counters as the contract names them. */
type QueryCell = Omit<TableCell, 'table' | 'queryType'>;

/** A tenant's counters as the contract names them; ids, not strings, until read (see TenantProfiles). */
type Profile = Pick<
  TenantAnalytics,
  | 'firstSeenMillis'
  | 'lastSeenMillis'
  | 'requests'
  | 'serverErrors'
  | 'clientErrors'
  | 'durationSumSeconds'
  | 'requestBytes'
  | 'responseBytes'
> & {
  tenantId: number;
  latency: LogSketch;
  window: ActivityWindow;
  /** key = endpoint id × 16 + method id. */
  endpoints: Map<number, HttpCell>;
  /** key = (table id × 2 + isSql) × 8 + query type. */
  tables: Map<number, QueryCell>;
  /** recordTenantResource usage whose data type is 'bytes', by resource type id (capped like the cells). */
  usageBytes: Map<number, number>;
  /** The sum of usageBytes. */
  usageBytesTotal: number;
  /** Timed queries and their duration sum, over all tables. */
  queries: number;
  databaseSeconds: number;
  /** The current export interval, the anomaly baselines and the last closed interval (tenant-interval.ts). */
  interval: TenantInterval;
};

/**
 * Per-tenant profiles of one shard, fed from the same records as the aggregators (the shard's `consume`), read by
 * `analytics` requests. Ids are kept as they arrive and decoded to strings only when read, so a record costs a Map
 * lookup or two and a sketch insert. Memory per tenant is bounded: one latency sketch (≤ MAX_BUCKETS), one
 * 60-minute window, ≤ 64 + 1 endpoint cells (each with its window) and ≤ 64 + 1 table cells; tenants are capped
 * upstream by maxTenants.
 */
export class TenantProfiles {
  private readonly profiles = new Map<number, Profile>();
  private readonly routes = new Map<number, LogSketch>();
  private readonly dbLatency = new LogSketch();
  private readonly sql: SqlResolver;
  private connectionsInUse = 0;
  private maxConnections = 0;
  /** When the current export interval began (the last close, or the shard's start). */
  private intervalStartMillis: number;
  /** When the last closed interval began; -1 before the first close. */
  private closedStartMillis = -1;

  constructor(
    private readonly dictionary: Dictionary,
    private readonly shard: number,
    private readonly thresholds: ActivityThresholds,
    nowMillis: number,
    private readonly slowQuerySeconds = 0.5,
  ) {
    this.sql = new SqlResolver(dictionary);
    this.intervalStartMillis = nowMillis;
  }

  private profile(tenantId: number, nowMillis: number): Profile {
    let profile = this.profiles.get(tenantId);
    if (profile === undefined) {
      profile = {
        tenantId,
        firstSeenMillis: nowMillis,
        lastSeenMillis: nowMillis,
        requests: 0,
        serverErrors: 0,
        clientErrors: 0,
        durationSumSeconds: 0,
        latency: new LogSketch(),
        requestBytes: 0,
        responseBytes: 0,
        window: new ActivityWindow(),
        endpoints: new Map(),
        tables: new Map(),
        usageBytes: new Map(),
        usageBytesTotal: 0,
        queries: 0,
        databaseSeconds: 0,
        interval: new TenantInterval(),
      };
      this.profiles.set(tenantId, profile);
    }
    if (nowMillis > profile.lastSeenMillis) profile.lastSeenMillis = nowMillis;
    return profile;
  }

  consumeHttp(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number): void {
    const at = slot * RECORD_WORDS;
    const tag = words[at + TAG];
    if ((tag & 0xff) !== KIND_HTTP) return;
    const method = (tag >>> 8) & 0xff;
    const status = tag >>> 16;
    const endpoint = words[at + KEY];
    const aux = words[at + AUX];
    const seconds = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    const requestBytes = aux === 0 ? words[at + A] : words[at + A] + (aux & 0xffff) * TWO_TO_32;
    const responseBytes = aux === 0 ? words[at + B] : words[at + B] + (aux >>> 16) * TWO_TO_32;
    const p = this.profile(words[at + TENANT], nowMillis);
    const serverError = status >= 500 ? 1 : 0;
    const clientError = status >= 400 && status < 500 ? 1 : 0;
    p.requests++;
    p.serverErrors += serverError;
    p.clientErrors += clientError;
    p.durationSumSeconds += seconds;
    p.latency.add(seconds);
    p.requestBytes += requestBytes;
    p.responseBytes += responseBytes;
    p.window.add(nowMillis);
    const key = endpoint * 16 + (method & 15);
    let cell = p.endpoints.get(key) ?? p.endpoints.get(OVERFLOW_CELL);
    if (cell === undefined) {
      cell = newHttpCell();
      p.endpoints.set(p.endpoints.size < MAX_CELLS_PER_TENANT ? key : OVERFLOW_CELL, cell);
    }
    cell.requests++;
    cell.serverErrors += serverError;
    cell.clientErrors += clientError;
    cell.durationSumSeconds += seconds;
    cell.requestBytes += requestBytes;
    cell.responseBytes += responseBytes;
    cell.window.add(nowMillis);
    let route = this.routes.get(key);
    if (route === undefined && this.routes.size < MAX_ROUTE_SKETCHES) {
      route = new LogSketch();
      this.routes.set(key, route);
    }
    route?.add(seconds);
  }

  consumeQuery(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number): void {
    const at = slot * RECORD_WORDS;
    const detail = (words[at + TAG] >>> 8) & 0xff;
    if ((detail & QUERY_UNTIMED) !== 0) return;
    const key = words[at + KEY];
    const isSql = (detail & QUERY_KEY_IS_SQL) !== 0;
    const queryType = isSql ? this.sql.queryType(key) : detail >>> 4;
    const seconds = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    const p = this.profile(words[at + TENANT], nowMillis);
    const tableKey = ((isSql ? this.sql.table(key) : key) * 2 + (isSql ? 1 : 0)) * 8 + queryType;
    let cell = p.tables.get(tableKey) ?? p.tables.get(OVERFLOW_CELL);
    if (cell === undefined) {
      cell = { queries: 0, errors: 0, durationSumSeconds: 0, slowQueries: 0 };
      p.tables.set(p.tables.size < MAX_CELLS_PER_TENANT ? tableKey : OVERFLOW_CELL, cell);
    }
    cell.queries++;
    if ((detail & QUERY_SUCCESS) === 0) cell.errors++;
    cell.durationSumSeconds += seconds;
    if (seconds > this.slowQuerySeconds) cell.slowQueries++;
    this.dbLatency.add(seconds);
    p.queries++;
    p.databaseSeconds += seconds;
    const limit = words[at + B];
    if (limit > 0) {
      this.connectionsInUse = Math.min(words[at + A], limit);
      this.maxConnections = limit;
    }
  }

  /** recordTenantResource usage: only a byte count (USAGE_BYTES) is part of a profile. */
  consumeUsage(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number): void {
    const at = slot * RECORD_WORDS;
    if (((words[at + TAG] >>> 8) & USAGE_BYTES) === 0) return;
    const bytes = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    const p = this.profile(words[at + TENANT], nowMillis);
    const resource = words[at + KEY];
    const key = p.usageBytes.has(resource) || p.usageBytes.size < MAX_CELLS_PER_TENANT ? resource : OVERFLOW_CELL;
    p.usageBytes.set(key, (p.usageBytes.get(key) ?? 0) + bytes);
    p.usageBytesTotal += bytes;
  }

  /**
   * Closes the current export interval of every tenant (the shard calls it once per export, before collecting):
   * cost shares over this shard's tenants, anomaly flags against each tenant's baseline, and the pattern of each
   * tenant seen in the last hour. Not undone by a failed export: the interval is about the traffic, not about what
   * reached the backend, so the baselines move once per interval whatever the exporter does.
   */
  closeInterval(nowMillis: number): void {
    // Two passes: the shard's totals of the interval are the shares' denominators.
    const profiles = Array.from(this.profiles.values());
    const totals = profiles.map(totalsOf);
    const figures = profiles.map((p, i) => p.interval.since(totals[i]));
    const shard: IntervalTotals = { requestSeconds: 0, databaseSeconds: 0, bytes: 0 };
    for (const f of figures) {
      shard.requestSeconds += f.requestSeconds;
      shard.databaseSeconds += f.databaseSeconds;
      shard.bytes += f.bytes;
    }
    for (let i = 0; i < profiles.length; i++) {
      const p = profiles[i];
      p.interval.close(figures[i], totals[i], shard, p.latency, nowMillis);
      p.interval.setPattern(
        p.lastSeenMillis > nowMillis - HOUR_MILLIS
          ? activityPatterns(p.window.perMinute, p.window.lastHour(nowMillis), p.firstSeenMillis, nowMillis, this.thresholds)[0]
          : undefined,
      );
    }
    this.closedStartMillis = this.intervalStartMillis;
    this.intervalStartMillis = nowMillis;
  }

  /**
   * tenant_activity_pattern, tenant_cost_share and tenant_anomaly of the last closed interval, as gauges over it
   * (no settlement: a gauge that fails to reach the backend is replaced by the next interval's, never resent).
   * Every tenant active in the interval gets a share of each resource (0 for all when nobody used it), and a tenant
   * that was active in the interval before and not in this one gets 0 once: the latest value of every series (what
   * GET /metrics and a last-value panel show) is then the last interval's, and sums to 1 per used resource.
   */
  collect(collection: Collection): void {
    const start = this.closedStartMillis;
    if (start < 0) return;
    for (const p of this.profiles.values()) {
      // Lets the shard drain its ring meanwhile (Collection.step), as the series walks do.
      collection.step();
      const interval = p.interval;
      const tenant = tenantAttributes(this.dictionary, p.tenantId);
      if (interval.pattern !== undefined) collection.add(METRICS.tenantActivityPattern, { ...tenant, pattern: interval.pattern }, start, 1);
      // 0 once for the pattern it left, so that a last-value view (GET /metrics, a gauge panel) shows one pattern.
      if (interval.formerPattern !== undefined) {
        collection.add(METRICS.tenantActivityPattern, { ...tenant, pattern: interval.formerPattern }, start, 0);
      }
      const share = interval.costShare;
      if (share !== null || interval.sharesEnded) {
        for (const resource of COST_RESOURCES) {
          collection.add(METRICS.tenantCostShare, { ...tenant, resource }, start, share === null ? 0 : share[resource]);
        }
      }
      for (const signal of interval.flaggedSignals()) collection.add(METRICS.tenantAnomaly, { ...tenant, signal }, start, 1);
      for (const signal of interval.cleared) collection.add(METRICS.tenantAnomaly, { ...tenant, signal }, start, 0);
    }
  }

  /**
   * Drops every trace of these tenants (string ids): profiles and cells; route sketches keep their past share.
   * Retention's forget point calls it (tenant-forgetting.ts).
   */
  forgetIds(ids: ReadonlySet<number>): void {
    for (const id of ids) this.profiles.delete(id);
  }

  get tenantCount(): number {
    return this.profiles.size;
  }

  /** Read-only: nothing here touches export state. */
  analytics(selection: TenantSelection, nowMillis: number): ShardAnalytics {
    const wanted = selection.all ? undefined : new Set(selection.tenants);
    const tenants: TenantAnalytics[] = [];
    for (const profile of this.profiles.values()) {
      const name = this.dictionary.label(profile.tenantId);
      if (wanted !== undefined && !wanted.has(name)) continue;
      tenants.push(this.tenantAnalytics(name, profile, nowMillis));
    }
    const routes = [];
    for (const [key, sketch] of this.routes) {
      const [method, route] = this.endpointName(key);
      routes.push({ method, route, latency: sketch.snapshot() });
    }
    return {
      shard: this.shard,
      atMillis: nowMillis,
      tenants,
      routes,
      database: { latency: this.dbLatency.snapshot(), connectionsInUse: this.connectionsInUse, maxConnections: this.maxConnections },
    };
  }

  private tenantAnalytics(tenant: string, p: Profile, nowMillis: number): TenantAnalytics {
    const requestsLastHour = p.window.lastHour(nowMillis);
    const endpoints: EndpointCell[] = [];
    for (const [key, cell] of p.endpoints) {
      const [method, route] = key === OVERFLOW_CELL ? ['_OTHER', '__overflow__'] : this.endpointName(key);
      const { window, ...counts } = cell;
      endpoints.push({ method, route, ...counts, requestsLastHour: window.lastHour(nowMillis) });
    }
    const tables: TableCell[] = [];
    for (const [key, cell] of p.tables) {
      if (key === OVERFLOW_CELL) {
        tables.push({ table: '__overflow__', queryType: 'OTHER', ...cell });
        continue;
      }
      const id = Math.floor(key / 16);
      const table = (key & 8) !== 0 ? this.sql.tables.name(id) : this.dictionary.label(id);
      tables.push({ table, queryType: QUERY_TYPES[key & 7] ?? 'OTHER', ...cell });
    }
    return {
      tenant,
      pseudo: !isTenantSlotId(p.tenantId),
      firstSeenMillis: p.firstSeenMillis,
      lastSeenMillis: p.lastSeenMillis,
      requests: p.requests,
      serverErrors: p.serverErrors,
      clientErrors: p.clientErrors,
      durationSumSeconds: p.durationSumSeconds,
      latency: p.latency.snapshot(),
      requestBytes: p.requestBytes,
      responseBytes: p.responseBytes,
      processedBytes: this.processedBytes(p),
      requestsLastHour,
      pattern: activityPatterns(p.window.perMinute, requestsLastHour, p.firstSeenMillis, nowMillis, this.thresholds)[0],
      anomalies: p.interval.anomalies(),
      costShare: p.interval.costShare,
      endpoints,
      tables,
    };
  }

  /** Bytes by data_type, as tenant_data_processed_bytes labels them. */
  private processedBytes(p: Profile): Record<string, number> {
    const bytes: Record<string, number> = { request: p.requestBytes, response: p.responseBytes };
    for (const [resource, total] of p.usageBytes)
      bytes[resource === OVERFLOW_CELL ? '__overflow__' : this.dictionary.label(resource)] = total;
    return bytes;
  }

  private endpointName(key: number): [string, string] {
    return [methodName(key & 15), this.dictionary.endpoint(Math.floor(key / 16)).route];
  }
}

/** A profile's totals since first seen, in the terms of its intervals. */
function totalsOf(p: Profile): TenantTotals {
  return {
    requests: p.requests,
    serverErrors: p.serverErrors,
    queries: p.queries,
    requestSeconds: p.durationSumSeconds,
    databaseSeconds: p.databaseSeconds,
    bytes: p.requestBytes + p.responseBytes + p.usageBytesTotal,
  };
}

function newHttpCell(): HttpCell {
  return {
    requests: 0,
    serverErrors: 0,
    clientErrors: 0,
    durationSumSeconds: 0,
    requestBytes: 0,
    responseBytes: 0,
    window: new ActivityWindow(),
  };
}
