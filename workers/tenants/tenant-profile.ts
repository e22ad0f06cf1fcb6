import type { EndpointCell, TableCell, TenantAnalytics } from '../../src/contract/analytics.js';
import { LogSketch, type SketchGrowth } from '../../src/sketch/log-sketch.js';
import { TenantInterval } from './tenant-interval.js';

/**
 * What one tenant's profile costs, charged to the shard's memory budget when it is made or grows (never per
 * record) and given back when the tenant is forgotten. Measured as V8 heap plus array buffers after a full GC in a
 * fresh process, per object, over 20,000 of each (test/memory-costs.long.test.ts holds the charges at or above what is
 * measured); docs/architecture.md ("Memory accounting") gives the figures.
 *
 * - PROFILE_BYTES: the profile object, its endpoint Map, its latency sketch (object and INITIAL_LATENCY_BUCKETS
 *   one-byte buckets, twice: the interval keeps a copy, the mark, for its p95), its TenantInterval with the two
 *   anomaly baselines, and the two overflow cells it may need later (reserved now, so that a cell refused at the
 *   bound always has somewhere to go). Its activity window is a slab slot (activity-window.ts), charged by the slab.
 * - ENDPOINT_CELL_BYTES: an endpoint cell's Map entry (key to slot; a Map's table doubles: the entry is charged at
 *   twice its share); the cell itself (counters and window) is a slot of the endpoint cells' slabs, charged by them.
 * - TABLE_CELL_BYTES, USAGE_ENTRY_BYTES: one cell object and its Map entry.
 * - ROUTE_SKETCH_BYTES: a route's sketch (object, initial buckets) and its Map entry.
 * - A sketch's bucket array is charged as it grows or widens (log-sketch.ts, bucketArrayBytes: its bytes, and a
 *   native backing store's overhead once it outgrows the 64 bytes V8 keeps inside the heap object), twice for a
 *   tenant's latency sketch (its interval's mark copies it).
 */
export const PROFILE_BYTES = 1_536;
export const ENDPOINT_CELL_BYTES = 64;
export const TABLE_CELL_BYTES = 128;
export const USAGE_ENTRY_BYTES = 48;
export const ROUTE_SKETCH_BYTES = 640;
/** A tenant's latency sketch starts small (8 one-byte buckets, kept in its heap object); it grows as its latencies spread. */
export const INITIAL_LATENCY_BUCKETS = 8;

/** A table cell's counters as the contract names them. */
export type QueryCell = Omit<TableCell, 'table' | 'queryType'>;

/** A tenant's counters as the contract names them; ids, not strings, until read (see TenantProfiles). */
export type Profile = Pick<
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
  /**
   * When the tenant was created, as the application's `tenantCreatedAt` said (epoch ms); NaN when it gave none:
   * then `onboarding` follows firstSeenMillis, the first record this worker aggregated for it.
   */
  createdMillis: number;
  latency: LogSketch;
  /** Its slot in the shard's per-minute activity windows (the activity patterns read it). */
  window: number;
  /** Endpoint cell slots (endpoint-cells.ts) by key = endpoint id × 16 + method id; at most MAX_CELLS_PER_TENANT. */
  endpoints: Map<number, number>;
  /** Requests on endpoints beyond the cap or refused a cell at the memory bound; made on first use. */
  endpointOverflow: OverflowCell | undefined;
  /** key = (table id × 2 + isSql) × 8 + query type; made on first use. */
  tables: Map<number, QueryCell> | undefined;
  tableOverflow: QueryCell | undefined;
  /** recordTenantResource usage whose data type is 'bytes', by resource type id; made on first use. */
  usageBytes: Map<number, number> | undefined;
  /** Usage bytes of resource types beyond the cap or refused an entry. */
  usageOverflowBytes: number;
  /** The sum of usageBytes and usageOverflowBytes. */
  usageBytesTotal: number;
  /** Timed queries and their duration sum, over all tables. */
  queries: number;
  databaseSeconds: number;
  /** The current export interval, the anomaly baselines and the last closed interval (tenant-interval.ts). */
  interval: TenantInterval;
  /** Bytes charged to the budget for this profile (its window slot aside), given back when it is forgotten. */
  chargedBytes: number;
};

/** An endpoint overflow cell: no window of its own (its hour is the tenant's less its cells', profile-reader.ts). */
export type OverflowCell = Omit<EndpointCell, 'method' | 'route' | 'requestsLastHour'>;

export function newProfile(tenantId: number, nowMillis: number, window: number, grow: SketchGrowth): Profile {
  return {
    tenantId,
    createdMillis: Number.NaN,
    firstSeenMillis: nowMillis,
    lastSeenMillis: nowMillis,
    requests: 0,
    serverErrors: 0,
    clientErrors: 0,
    durationSumSeconds: 0,
    latency: new LogSketch(INITIAL_LATENCY_BUCKETS, grow),
    requestBytes: 0,
    responseBytes: 0,
    window,
    endpoints: new Map(),
    endpointOverflow: undefined,
    tables: undefined,
    tableOverflow: undefined,
    usageBytes: undefined,
    usageOverflowBytes: 0,
    usageBytesTotal: 0,
    queries: 0,
    databaseSeconds: 0,
    interval: new TenantInterval(),
    chargedBytes: 0,
  };
}

/** Since when `onboarding` counts for a profile: the tenant's creation when known, else its first record here. */
export function onboardingSince(profile: Profile): number {
  return Number.isNaN(profile.createdMillis) ? profile.firstSeenMillis : profile.createdMillis;
}

export function newOverflowCell(): OverflowCell {
  return { requests: 0, serverErrors: 0, clientErrors: 0, durationSumSeconds: 0, requestBytes: 0, responseBytes: 0 };
}

export function newQueryCell(): QueryCell {
  return { queries: 0, errors: 0, durationSumSeconds: 0, slowQueries: 0 };
}
