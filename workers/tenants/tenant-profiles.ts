import type { EndpointCell, ShardAnalytics, TableCell, TenantAnalytics, TenantSelection } from '../../src/contract/analytics.js';
import { KIND_HTTP, QUERY_KEY_IS_SQL, QUERY_SUCCESS, QUERY_TYPES, QUERY_UNTIMED } from '../../src/contract/codes.js';
import { A, AUX, B, KEY, RECORD_FLOATS, RECORD_WORDS, TAG, TENANT, VALUE_FLOAT } from '../../src/contract/ring-layout.js';
import { methodName } from '../../src/http-methods.js';
import { LogSketch } from '../../src/sketch/log-sketch.js';
import type { Dictionary } from '../dictionary.js';
import { SqlResolver } from '../labels/sql-resolver.js';
import { activityPatterns, DEFAULT_PATTERN_THRESHOLDS, type PatternThresholds } from './activity-pattern.js';
import { ActivityWindow } from './activity-window.js';

const TWO_TO_32 = 2 ** 32;
/** Cells a tenant keeps per family; further endpoints or tables share one overflow cell (key -1). */
export const MAX_CELLS_PER_TENANT = 64;
/** Route sketches a shard keeps; further method + route pairs are not sketched (their tenants still are). */
export const MAX_ROUTE_SKETCHES = 1000;
const OVERFLOW_CELL = -1;

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

  constructor(
    private readonly dictionary: Dictionary,
    private readonly shard: number,
    private readonly slowQuerySeconds = 0.5,
    private readonly thresholds: PatternThresholds = DEFAULT_PATTERN_THRESHOLDS,
  ) {
    this.sql = new SqlResolver(dictionary);
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
    const limit = words[at + B];
    if (limit > 0) {
      this.connectionsInUse = Math.min(words[at + A], limit);
      this.maxConnections = limit;
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
      firstSeenMillis: p.firstSeenMillis,
      lastSeenMillis: p.lastSeenMillis,
      requests: p.requests,
      serverErrors: p.serverErrors,
      clientErrors: p.clientErrors,
      durationSumSeconds: p.durationSumSeconds,
      latency: p.latency.snapshot(),
      requestBytes: p.requestBytes,
      responseBytes: p.responseBytes,
      processedBytes: { request: p.requestBytes, response: p.responseBytes },
      requestsLastHour,
      pattern: activityPatterns(p.window.perMinute, requestsLastHour, p.firstSeenMillis, nowMillis, this.thresholds)[0],
      anomalies: [],
      costShare: null,
      endpoints,
      tables,
    };
  }

  private endpointName(key: number): [string, string] {
    return [methodName(key & 15), this.dictionary.endpoint(Math.floor(key / 16)).route];
  }
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
