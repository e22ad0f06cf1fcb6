import type { ShardAnalytics, TenantAnalytics, TenantSelection } from '../../src/contract/analytics.js';
import type { MemoryBudget } from '../memory-budget.js';
import type { Collection } from '../export/collection.js';
import {
  KIND_HTTP,
  QUERY_KEY_IS_SQL,
  QUERY_SUCCESS,
  QUERY_TYPE_SHIFT,
  QUERY_UNTIMED,
  tagCode,
  tagDetail,
  tagKind,
  USAGE_BYTES,
} from '../../src/contract/codes.js';
import { requestBytesOf, responseBytesOf } from '../../src/contract/record-codec.js';
import { A, B, KEY, RECORD_FLOATS, RECORD_WORDS, TAG, VALUE_FLOAT } from '../../src/contract/ring-layout.js';
import type { ActivityThresholds } from '../../src/contract/worker-config.js';
import { LogSketch } from '../../src/sketch/log-sketch.js';
import type { Dictionary } from '../dictionary.js';
import { SqlResolver } from '../labels/sql-resolver.js';
import { ProfileReader } from './profile-reader.js';
import { collectTenantGauges } from './tenant-gauges.js';
import { activityPatterns } from './activity-pattern.js';
import { ActivityWindows } from './activity-window.js';
import { EndpointCells } from './endpoint-cells.js';
import type { IntervalTotals, TenantTotals } from './tenant-interval.js';
import {
  ENDPOINT_CELL_BYTES,
  newOverflowCell,
  newProfile,
  newQueryCell,
  onboardingSince,
  PROFILE_BYTES,
  type Profile,
  type QueryCell,
  ROUTE_SKETCH_BYTES,
  TABLE_CELL_BYTES,
  USAGE_ENTRY_BYTES,
} from './tenant-profile.js';

/** Cells a tenant keeps per family; further endpoints or tables share one overflow cell. */
export const MAX_CELLS_PER_TENANT = 64;
/** Route sketches a shard keeps; further method + route pairs are not sketched (their tenants still are). */
export const MAX_ROUTE_SKETCHES = 1000;
const HOUR_MILLIS = 3_600_000;
/** An empty Map, charged when a profile's table or usage Map is made (its endpoint Map is in PROFILE_BYTES). */
const MAP_BYTES = 192;

/**
 * Per-tenant profiles of one shard, fed from the same records as the aggregators (the shard's `consume`), read by
 * `analytics` requests. Ids are kept as they arrive and decoded to strings only when read, so a record costs a Map
 * lookup or two and a sketch insert. Memory is charged to the shard's budget as it is made or grows (costs in
 * tenant-profile.ts): a client-chosen tenant gets a profile only through `admit` (tenant-admission.ts folds the
 * others into `__overflow__`); per tenant, one latency sketch (≤ MAX_BUCKETS, one byte per bucket while its
 * counts fit), one 60-minute window, ≤ 64 endpoint cells (slots of one slab, each with a coarse hour: endpoint-cells.ts)
 * and ≤ 64 table cells, then one overflow cell per family, which also takes what the budget refuses a cell of its own.
 */
export class TenantProfiles {
  private readonly profiles = new Map<number, Profile>();
  /** Creation dates that arrived before their tenant's profile (setCreated). */
  private readonly pendingCreated = new Map<number, number>();
  private readonly routes = new Map<number, LogSketch>();
  private readonly dbLatency: LogSketch;
  private readonly windows: ActivityWindows;
  private readonly cells: EndpointCells;
  private readonly sql: SqlResolver;
  private readonly reader: ProfileReader;
  private connectionsInUse = 0;
  private maxConnections = 0;
  /** When the current export interval began (the last close, or the shard's start). */
  private intervalStartMillis: number;
  /** When the last closed interval began; -1 before the first close. */
  private closedStartMillis = -1;
  /** Growth of a shard-wide sketch (routes, database), charged to the budget: its buckets (its array's own cost is in ROUTE_SKETCH_BYTES). */
  private readonly growShared = (_from: number, _to: number, addedBytes: number, forced: boolean) => {
    if (!forced) return this.budget.tryReserve(addedBytes);
    this.budget.charge(addedBytes);
    return true;
  };

  constructor(
    private readonly dictionary: Dictionary,
    private readonly shard: number,
    private readonly thresholds: ActivityThresholds,
    nowMillis: number,
    private readonly slowQuerySeconds: number,
    private readonly budget: MemoryBudget,
  ) {
    this.sql = new SqlResolver(dictionary);
    this.intervalStartMillis = nowMillis;
    this.windows = new ActivityWindows(budget);
    this.cells = new EndpointCells(budget);
    this.reader = new ProfileReader(dictionary, this.sql, this.windows, this.cells, thresholds);
    // One per shard, whatever the traffic: charged, never refused.
    budget.charge(ROUTE_SKETCH_BYTES);
    this.dbLatency = new LogSketch(undefined, this.growShared);
  }

  /**
   * Gives a client-chosen tenant a profile of its own if the budget holds it (and its label, `labelBytes`) with
   * `headroomBytes` to spare; false leaves it without, and the shard folds it into `__overflow__`.
   */
  admit(tenantId: number, nowMillis: number, headroomBytes: number, labelBytes: number): boolean {
    const cost = PROFILE_BYTES + labelBytes;
    if (!this.budget.tryReserve(cost, headroomBytes)) return false;
    const window = this.windows.allocate();
    if (window < 0) {
      this.budget.unreserve(cost);
      return false;
    }
    this.create(tenantId, nowMillis, window).chargedBytes = cost;
    return true;
  }

  /**
   * The profile of a tenant the shard aggregates under its own id: an admitted one, or one of the few ids that are
   * not client-chosen (`unknown`, `invalid`, `__overflow__`, the system tenant), made at first use and charged
   * whatever the budget says (they are a handful, and their records must be counted somewhere).
   */
  private profile(tenantId: number, nowMillis: number): Profile {
    let profile = this.profiles.get(tenantId);
    if (profile === undefined) {
      this.budget.charge(PROFILE_BYTES);
      profile = this.create(tenantId, nowMillis, this.windows.allocate(true));
      profile.chargedBytes = PROFILE_BYTES;
    }
    if (nowMillis > profile.lastSeenMillis) profile.lastSeenMillis = nowMillis;
    return profile;
  }

  /**
   * The application's creation date of a tenant (`tenantCreatedAt`, on the main thread), for `onboarding`. It may
   * come before the tenant's first record is drained: then it waits in `pendingCreated` (one entry per tenant slot
   * at most) for the profile. Retention's forget drops both. The slot may have changed hands (retention) since the
   * main thread asked for the date: only the tenant it was asked for (`tenant`) gets it.
   */
  setCreated(tenantId: number, tenant: string, createdMillis: number): void {
    if (this.dictionary.label(tenantId) !== tenant) return;
    const profile = this.profiles.get(tenantId);
    if (profile !== undefined) profile.createdMillis = createdMillis;
    else this.pendingCreated.set(tenantId, createdMillis);
  }

  private create(tenantId: number, nowMillis: number, window: number): Profile {
    // A tenant's latency sketch grows charged twice: its interval's mark copies its buckets. A widening (forced:
    // log-sketch.ts) is charged whatever the budget says, as a count must not be wrong.
    const profile: Profile = newProfile(tenantId, nowMillis, window, (_from, _to, addedBytes, forced) => {
      if (!forced) return this.chargeTo(profile, 2 * addedBytes);
      this.budget.charge(2 * addedBytes);
      profile.chargedBytes += 2 * addedBytes;
      return true;
    });
    const created = this.pendingCreated.get(tenantId);
    if (created !== undefined) {
      profile.createdMillis = created;
      this.pendingCreated.delete(tenantId);
    }
    this.profiles.set(tenantId, profile);
    return profile;
  }

  /** Reserves `bytes` for a profile's growth; false (nothing reserved) when the budget refuses. */
  private chargeTo(profile: Profile, bytes: number): boolean {
    if (!this.budget.tryReserve(bytes)) return false;
    profile.chargedBytes += bytes;
    return true;
  }

  /**
   * A new endpoint cell (a slot of the cells' slabs), or -1 for the tenant's overflow cell when it has
   * MAX_CELLS_PER_TENANT already or the budget refuses (the overflow cell was paid for with the profile).
   */
  private endpointCell(p: Profile, key: number): number {
    if (p.endpoints.size < MAX_CELLS_PER_TENANT && this.chargeTo(p, ENDPOINT_CELL_BYTES)) {
      const cell = this.cells.allocate();
      if (cell >= 0) {
        p.endpoints.set(key, cell);
        return cell;
      }
      this.budget.unreserve(ENDPOINT_CELL_BYTES);
      p.chargedBytes -= ENDPOINT_CELL_BYTES;
    }
    return -1;
  }

  private tableCell(p: Profile, key: number): QueryCell {
    const tables = p.tables;
    if ((tables?.size ?? 0) < MAX_CELLS_PER_TENANT && this.chargeTo(p, TABLE_CELL_BYTES + (tables === undefined ? MAP_BYTES : 0))) {
      const cell = newQueryCell();
      p.tables ??= new Map();
      p.tables.set(key, cell);
      return cell;
    }
    p.tableOverflow ??= newQueryCell();
    return p.tableOverflow;
  }

  /** `tenant`: the id the shard aggregates the record under (its own, or `__overflow__` when folded). */
  consumeHttp(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number, tenant: number): void {
    const at = slot * RECORD_WORDS;
    const tag = words[at + TAG];
    if (tagKind(tag) !== KIND_HTTP) return;
    const method = tagDetail(tag);
    const status = tagCode(tag);
    const endpoint = words[at + KEY];
    const seconds = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    const requestBytes = requestBytesOf(words, slot);
    const responseBytes = responseBytesOf(words, slot);
    const p = this.profile(tenant, nowMillis);
    const serverError = status >= 500 ? 1 : 0;
    const clientError = status >= 400 && status < 500 ? 1 : 0;
    p.requests++;
    p.serverErrors += serverError;
    p.clientErrors += clientError;
    p.durationSumSeconds += seconds;
    p.latency.add(seconds);
    p.requestBytes += requestBytes;
    p.responseBytes += responseBytes;
    this.windows.add(p.window, nowMillis);
    const key = endpoint * 16 + (method & 15);
    const cell = p.endpoints.get(key) ?? this.endpointCell(p, key);
    if (cell >= 0) this.cells.add(cell, nowMillis, serverError, clientError, seconds, requestBytes, responseBytes);
    else {
      p.endpointOverflow ??= newOverflowCell();
      const overflow = p.endpointOverflow;
      overflow.requests++;
      overflow.serverErrors += serverError;
      overflow.clientErrors += clientError;
      overflow.durationSumSeconds += seconds;
      overflow.requestBytes += requestBytes;
      overflow.responseBytes += responseBytes;
    }
    let route = this.routes.get(key);
    if (route === undefined && this.routes.size < MAX_ROUTE_SKETCHES && this.budget.tryReserve(ROUTE_SKETCH_BYTES)) {
      route = new LogSketch(undefined, this.growShared);
      this.routes.set(key, route);
    }
    route?.add(seconds);
  }

  consumeQuery(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number, tenant: number): void {
    const at = slot * RECORD_WORDS;
    const detail = tagDetail(words[at + TAG]);
    if ((detail & QUERY_UNTIMED) !== 0) return;
    const key = words[at + KEY];
    const isSql = (detail & QUERY_KEY_IS_SQL) !== 0;
    const queryType = isSql ? this.sql.queryType(key) : detail >>> QUERY_TYPE_SHIFT;
    const seconds = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    const p = this.profile(tenant, nowMillis);
    const tableKey = ((isSql ? this.sql.table(key) : key) * 2 + (isSql ? 1 : 0)) * 8 + queryType;
    const cell = p.tables?.get(tableKey) ?? this.tableCell(p, tableKey);
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
  consumeUsage(words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number, tenant: number): void {
    const at = slot * RECORD_WORDS;
    if ((tagDetail(words[at + TAG]) & USAGE_BYTES) === 0) return;
    const bytes = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    const p = this.profile(tenant, nowMillis);
    const resource = words[at + KEY];
    p.usageBytesTotal += bytes;
    const usage = p.usageBytes;
    const total = usage?.get(resource);
    if (total !== undefined) {
      (usage as Map<number, number>).set(resource, total + bytes);
      return;
    }
    if ((usage?.size ?? 0) < MAX_CELLS_PER_TENANT && this.chargeTo(p, USAGE_ENTRY_BYTES + (usage === undefined ? MAP_BYTES : 0))) {
      p.usageBytes ??= new Map();
      p.usageBytes.set(resource, bytes);
      return;
    }
    p.usageOverflowBytes += bytes;
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
          ? activityPatterns(
              this.windows.perMinute(p.window),
              this.windows.lastHour(p.window, nowMillis),
              onboardingSince(p),
              nowMillis,
              this.thresholds,
            )[0]
          : undefined,
      );
    }
    this.closedStartMillis = this.intervalStartMillis;
    this.intervalStartMillis = nowMillis;
  }

  /** The tenant family's gauges of the last closed interval (tenant-gauges.ts). */
  collect(collection: Collection): void {
    if (this.closedStartMillis >= 0) collectTenantGauges(collection, this.profiles.values(), this.dictionary, this.closedStartMillis);
  }

  /**
   * Drops every trace of these tenants (string ids): profiles and cells; route sketches keep their past share.
   * Retention's forget point calls it (tenant-forgetting.ts).
   */
  forgetIds(ids: ReadonlySet<number>): void {
    for (const id of ids) {
      this.pendingCreated.delete(id);
      const profile = this.profiles.get(id);
      if (profile === undefined) continue;
      this.windows.release(profile.window);
      for (const cell of profile.endpoints.values()) this.cells.release(cell);
      this.budget.release(profile.chargedBytes);
      this.profiles.delete(id);
    }
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
      tenants.push(this.reader.tenant(name, profile, nowMillis));
    }
    const routes = [];
    for (const [key, sketch] of this.routes) {
      const [method, route] = this.reader.endpointName(key);
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
