import { SDK_INFO } from '@opentelemetry/core';
import { methodId } from './http-methods.js';
import { refuseUnknownOptions, type OptionNames } from './option-names.js';
import { LABEL_LIMITS, MAX_OTHER_LABELS, quote, resolveOptions, type CollectorOptions, type ResolvedOptions } from './options.js';
import { ShardSupervisor } from './pool/shard-supervisor.js';
import { MAX_RECORD_BYTES_VALUE } from './ring/layout.js';
import {
  KIND_HTTP,
  KIND_QUERY,
  KIND_TENANT_USAGE,
  KIND_TRANSACTION,
  QUERY_KEY_IS_SQL,
  QUERY_SUCCESS,
  TRANSACTION_COMMIT,
  TRANSACTION_ROLLBACK,
  tag,
  queryTypeId,
  type QueryType,
} from './ring/codes.js';

export type { QueryType } from './ring/codes.js';
import { RingWriter } from './ring/ring-writer.js';
import { TenantScope } from './tenant-scope.js';
import { RuntimeSampler } from './runtime/runtime-sampler.js';
import { handleSignals } from './signals.js';
import { defaultCategory } from './endpoint-categories.js';
import { sqlStateClassCode } from './sqlstate.js';
import { EndpointInterner, InternBudget, LabelInterner, SqlInterner } from './strings/interner.js';
import { EMPTY_ID, RESERVED_LABELS, UNKNOWN_ID } from './strings/layout.js';
import { StringTableWriter } from './strings/string-table.js';
import { VERSION } from './version.js';
import type { WorkerConfig } from './worker-config.js';

export interface HttpRecord {
  /** The request method; anything outside the standard methods is recorded as `_OTHER`. */
  method: string;
  /** The matched route pattern (`/users/:id`), never the raw path. */
  route: string;
  statusCode: number;
  /** Missing or empty: `unknown`. */
  tenantId?: string | null;
  durationSeconds: number;
  requestBytes?: number;
  responseBytes?: number;
}

export interface QueryRecord {
  /** The SQL text, classified in the worker (query type, table). Parameters must never be part of it. */
  sql?: string;
  /** Instead of `sql`: the query type and table, as labels. */
  queryType?: QueryType;
  table?: string;
  /** Missing or empty: `unknown`. */
  tenantId?: string | null;
  durationSeconds: number;
  /** [default: true] */
  success?: boolean;
  /** SQLSTATE of a failure; its class (first two characters) becomes the error_class label. */
  sqlState?: string;
}

export interface TransactionRecord {
  status: 'commit' | 'rollback';
  tenantId?: string | null;
  /** A savepoint rather than a top-level transaction. [default: false] */
  nested?: boolean;
}

export interface TenantResourceRecord {
  tenantId?: string | null;
  /** What was used: 'storage', 'compute', 'emails'… */
  resourceType: string;
  /** How much; added to tenant_resource_usage_total. */
  usage: number;
  /** [default: 'unknown'] */
  dataType?: string;
}

export interface CollectorStats {
  ring: {
    capacity: number;
    /** Records in the rings now, not yet read by the workers. */
    used: number;
    /** Records written to the rings. */
    written: number;
    /** Records written to the overflow because a ring was full (then aggregated like the others). */
    spilled: number;
    /** Records the overflow holds now, not yet read by the workers. */
    overflowRecords: number;
    /** Bytes the overflow holds now (part of maxMemoryBytes). */
    overflowBytes: number;
    /** Records dropped because a ring was full and its overflow at the memory bound. */
    dropped: number;
  };
  /** Records refused because a value was invalid. */
  rejected: number;
  export: {
    /** HTTP requests sent, retries included. */
    attempts: number;
    /** Batches accepted (fully, or partly: see rejectedDataPoints). */
    succeeded: number;
    /** Batches that failed after retries; their data stays pending unless the backend refused it for good. */
    failed: number;
    /** Data points the backend refused in partial successes (never resent). */
    rejectedDataPoints: number;
    /** Data points dropped with batches the backend refused for good (400 and the like). */
    droppedDataPoints: number;
    lastError: string | undefined;
    lastDurationMillis: number;
  };
  /** Series held by the workers (as of their last export). */
  series: number;
  workers: { count: number; running: number; restarts: number; lostRecords: number };
  /**
   * Distinct SQL texts held for classification, at most maxSqlTexts. Queries with a text beyond the cap are
   * counted by the workers in ringmeter.sql_texts.overflowed.
   */
  sqlTexts: { distinct: number; max: number };
}

/** What `health()` returns: a verdict for a readiness or status endpoint, and why. */
export interface CollectorHealth {
  /** `failing`: metrics are not getting out (shut down, a worker down, the last export failed); `degraded`: some were lost recently. */
  status: 'ok' | 'degraded' | 'failing';
  /** One line per problem, secrets removed. */
  reasons: string[];
  stats: CollectorStats;
}

export interface ShutdownOptions {
  /** Give up after this long, saying what was left. [default: options.shutdownTimeoutMillis] */
  timeoutMillis?: number;
}

export interface FlushOptions {
  /**
   * How long the export may take once a worker starts on it, waiting for a backend's Retry-After and retrying
   * included; a Retry-After that ends later makes the flush reject at once (the data stays pending).
   * [default: options.otlp.timeoutMillis]
   */
  timeoutMillis?: number;
}

/** How long a loss keeps health() at `degraded`. */
const HEALTH_WINDOW_MILLIS = 5 * 60_000;

/**
 * The recording side of ringmeter. Record methods run on the request path: they validate, turn strings into ids
 * (a Map lookup once a string is known) and write one record into the tenant's shard ring. They never throw and
 * never wait; what they refuse is counted in `stats().rejected`, what a full ring drops in `stats().ring.dropped`.
 */
export class Collector {
  readonly options: ResolvedOptions;
  private readonly strings: StringTableWriter;
  private readonly tenants: LabelInterner;
  private readonly labels: LabelInterner;
  private readonly sqlTexts: SqlInterner;
  private readonly routesBudget: InternBudget;
  private readonly endpoints: EndpointInterner;
  private readonly rings: RingWriter[];
  private readonly supervisors: ShardSupervisor[];
  private readonly runtimeSampler: RuntimeSampler | undefined;
  /** @internal The tenant of the running request, for the database hooks. */
  readonly tenantScope = new TenantScope();
  /**
   * @internal Set once a postgres.js client records this collector's queries (instrumentPostgres): the Drizzle
   * logger hook then stays silent, so that a query is counted once, by the hook that can time it.
   */
  postgresInstrumented = false;
  private closed: Promise<void> | undefined;
  private readonly detachSignals: (() => void) | undefined;

  constructor(options: CollectorOptions = {}) {
    const resolved = resolveOptions(options);
    this.options = resolved;
    const entries = RESERVED_LABELS.length + resolved.maxTenants + resolved.maxRoutes + resolved.maxSqlTexts + MAX_OTHER_LABELS;
    const bytes =
      resolved.maxTenants * LABEL_LIMITS.tenantId * 3 +
      resolved.maxRoutes * (LABEL_LIMITS.route + LABEL_LIMITS.label + 1) * 3 +
      resolved.maxSqlTexts * LABEL_LIMITS.sql * 3 +
      MAX_OTHER_LABELS * LABEL_LIMITS.label * 3;
    this.strings = new StringTableWriter(entries, bytes);
    this.tenants = new LabelInterner(this.strings, new InternBudget(resolved.maxTenants), LABEL_LIMITS.tenantId);
    this.labels = new LabelInterner(this.strings, new InternBudget(MAX_OTHER_LABELS), LABEL_LIMITS.label);
    this.sqlTexts = new SqlInterner(this.strings, new InternBudget(resolved.maxSqlTexts), LABEL_LIMITS.sql);
    this.routesBudget = new InternBudget(resolved.maxRoutes);
    this.endpoints = this.createEndpointInterner(defaultCategory);

    this.rings = [];
    this.supervisors = [];
    for (let shard = 0; shard < resolved.workers; shard++) {
      const ring = new RingWriter(resolved.ringCapacity, Math.floor(resolved.maxMemoryBytes / resolved.workers));
      this.rings.push(ring);
      this.supervisors.push(
        new ShardSupervisor(shard, ring, this.strings.buffer, workerConfig(resolved, shard, entries), resolved.workerHangMillis),
      );
    }
    this.runtimeSampler = resolved.metrics.runtime ? new RuntimeSampler(this.rings[0], resolved.runtimeMetricsIntervalMillis) : undefined;
    this.detachSignals = resolved.handleSignals ? handleSignals(() => this.shutdown()) : undefined;
  }

  recordHttp(record: HttpRecord): void {
    if (!this.options.metrics.http) return;
    try {
      const { method, route, statusCode, tenantId, durationSeconds } = record;
      const requestBytes = record.requestBytes ?? 0;
      const responseBytes = record.responseBytes ?? 0;
      if (
        typeof method !== 'string' ||
        typeof route !== 'string' ||
        !isStatusCode(statusCode) ||
        !isSeconds(durationSeconds) ||
        !isByteCount(requestBytes) ||
        !isByteCount(responseBytes)
      ) {
        this.reject();
        return;
      }
      const tenant = this.tenantId(tenantId);
      if (tenant < 0) {
        this.reject();
        return;
      }
      this.writeHttp(methodId(method), statusCode, this.endpoints.intern(route), tenant, durationSeconds, requestBytes, responseBytes);
    } catch {
      // A getter on the record threw: the record is refused, the caller never sees it.
      this.reject();
    }
  }

  recordQuery(record: QueryRecord): void {
    if (!this.options.metrics.db) return;
    try {
      const { sql, queryType, table, tenantId, durationSeconds } = record;
      const success = record.success ?? true;
      const tenant = this.tenantId(tenantId);
      if (!isSeconds(durationSeconds) || typeof success !== 'boolean' || tenant < 0) {
        this.reject();
        return;
      }
      let detail = success ? QUERY_SUCCESS : 0;
      let key: number;
      if (typeof sql === 'string') {
        detail |= QUERY_KEY_IS_SQL;
        key = this.sqlId(sql);
      } else {
        const type = queryType === undefined ? 0 : queryTypeId(queryType);
        if (type < 0 || (table !== undefined && typeof table !== 'string')) {
          this.reject();
          return;
        }
        detail |= type << 4;
        key = table === undefined ? EMPTY_ID : this.labelId(table);
      }
      this.writeQuery(detail, success ? 0 : sqlStateClassCode(record.sqlState), key, tenant, EMPTY_ID, durationSeconds, 0, 0);
    } catch {
      this.reject();
    }
  }

  recordTransaction(record: TransactionRecord): void {
    if (!this.options.metrics.db) return;
    try {
      const { status, tenantId } = record;
      const nested = record.nested ?? false;
      const tenant = this.tenantId(tenantId);
      if ((status !== 'commit' && status !== 'rollback') || typeof nested !== 'boolean' || tenant < 0) {
        this.reject();
        return;
      }
      this.writeTransaction(status === 'commit', nested, tenant, EMPTY_ID);
    } catch {
      this.reject();
    }
  }

  recordTenantResource(record: TenantResourceRecord): void {
    if (!this.options.metrics.tenant) return;
    try {
      const { tenantId, resourceType, usage } = record;
      const dataType = record.dataType ?? '';
      const tenant = this.tenantId(tenantId);
      if (typeof resourceType !== 'string' || typeof dataType !== 'string' || !isSeconds(usage) || tenant < 0) {
        this.reject();
        return;
      }
      const resource = this.labels.intern(resourceType);
      const data = dataType === '' ? UNKNOWN_ID : this.labels.intern(dataType);
      this.ringOf(tenant).write(tag(KIND_TENANT_USAGE, 0, 0), resource, tenant, data, usage, 0, 0);
    } catch {
      this.reject();
    }
  }

  /** Resolves once everything recorded before the call has been exported; rejects saying why not. */
  async flush(options: FlushOptions = {}): Promise<void> {
    const timeoutMillis = callTimeout('flush', options, this.options.otlp.timeoutMillis);
    const results = await Promise.allSettled(this.supervisors.map((supervisor) => supervisor.flush(timeoutMillis)));
    const reasons = results.flatMap((result) => (result.status === 'rejected' ? [errorText(result.reason)] : []));
    if (reasons.length > 0) throw new Error(reasons.length === 1 ? reasons[0] : reasons.join('; '));
  }

  /**
   * Drains the rings, exports what is pending and stops the workers, within `timeoutMillis`; past it, stops them
   * anyway and rejects saying what was left. Safe to call twice: the second call returns the first call's promise.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    let timeoutMillis: number;
    try {
      timeoutMillis = callTimeout('shutdown', options, this.options.shutdownTimeoutMillis);
    } catch (error) {
      // Like flush(): a promise-returning call reports a bad argument by rejecting, never by throwing.
      return Promise.reject(error as Error);
    }
    this.closed ??= this.close(timeoutMillis);
    return this.closed;
  }

  /** The pipeline's state as a verdict: see CollectorHealth. Cheap enough for every readiness probe. */
  health(): CollectorHealth {
    const stats = this.stats();
    const failing: string[] = [];
    const degraded: string[] = [];
    if (this.closed !== undefined) failing.push('the collector is shut down');
    if (stats.workers.running < stats.workers.count && this.closed === undefined) {
      failing.push(`${stats.workers.count - stats.workers.running} of ${stats.workers.count} workers are being replaced`);
    }
    if (this.supervisors.some((supervisor) => supervisor.failing))
      failing.push(`the last export failed: ${stats.export.lastError ?? 'unknown error'}`);
    const recent = (kind: keyof ShardSupervisor['incidents']) =>
      this.supervisors.some((supervisor) => Date.now() - (supervisor.incidents[kind] ?? -Infinity) < HEALTH_WINDOW_MILLIS);
    if (recent('ringFull'))
      degraded.push(`records were dropped because the ring was full and its overflow at maxMemoryBytes (${stats.ring.dropped} in total)`);
    if (recent('workerLoss')) degraded.push(`a worker died with unexported records (${stats.workers.lostRecords} lost in total)`);
    if (recent('exportRejected'))
      degraded.push(`the backend refused data points (${stats.export.rejectedDataPoints + stats.export.droppedDataPoints} in total)`);
    if (recent('invalidValues')) degraded.push(`record calls were refused for invalid values (${stats.rejected} in total)`);
    return { status: failing.length > 0 ? 'failing' : degraded.length > 0 ? 'degraded' : 'ok', reasons: [...failing, ...degraded], stats };
  }

  stats(): CollectorStats {
    let used = 0;
    let written = 0;
    let dropped = 0;
    let spilled = 0;
    let overflowRecords = 0;
    let overflowBytes = 0;
    let rejected = 0;
    let attempts = 0;
    let succeeded = 0;
    let failed = 0;
    let rejectedDataPoints = 0;
    let droppedDataPoints = 0;
    let lastDurationMillis = 0;
    let series = 0;
    for (const ring of this.rings) {
      used += ring.used;
      written += ring.written;
      dropped += ring.dropped;
      rejected += ring.rejected;
      spilled += ring.spill.spilled;
      overflowRecords += ring.spill.pending;
      overflowBytes += ring.spill.bytes;
      const header = ring.header;
      attempts += header.exportAttempts;
      succeeded += header.exportsSucceeded;
      failed += header.exportsFailed;
      lastDurationMillis = Math.max(lastDurationMillis, header.lastExportMicros / 1000);
      series += header.series;
    }
    for (const supervisor of this.supervisors) {
      rejectedDataPoints += supervisor.rejectedPoints;
      droppedDataPoints += supervisor.droppedPoints;
    }
    return {
      ring: { capacity: this.options.ringCapacity * this.rings.length, used, written, spilled, overflowRecords, overflowBytes, dropped },
      rejected,
      export: {
        attempts,
        succeeded,
        failed,
        rejectedDataPoints,
        droppedDataPoints,
        lastDurationMillis,
        lastError: this.supervisors.map((supervisor) => supervisor.lastError).find((error) => error !== undefined),
      },
      series,
      workers: {
        count: this.supervisors.length,
        running: this.supervisors.filter((supervisor) => supervisor.running).length,
        restarts: this.supervisors.reduce((sum, supervisor) => sum + supervisor.restartCount, 0),
        lostRecords: this.supervisors.reduce((sum, supervisor) => sum + supervisor.lostRecords, 0),
      },
      sqlTexts: { distinct: this.sqlTexts.size, max: this.options.maxSqlTexts },
    };
  }

  // --- Internal: the fast paths of ringmeter's own middleware and hooks (see internal.ts), and test hooks. ---

  /**
   * @internal The HTTP fast path: every argument already an id or a checked number. Byte counts above 48 bits
   * saturate.
   */
  writeHttp(
    method: number,
    statusCode: number,
    endpoint: number,
    tenant: number,
    seconds: number,
    requestBytes: number,
    responseBytes: number,
  ): void {
    this.ringOf(tenant).writeWithByteCounts(
      tag(KIND_HTTP, method, statusCode),
      endpoint,
      tenant,
      seconds,
      requestBytes > MAX_RECORD_BYTES_VALUE ? MAX_RECORD_BYTES_VALUE : Math.floor(requestBytes),
      responseBytes > MAX_RECORD_BYTES_VALUE ? MAX_RECORD_BYTES_VALUE : Math.floor(responseBytes),
    );
  }

  /**
   * @internal The query fast path. `detail` holds QUERY_* flags and the query type; `key` a SQL or table id;
   * `sqlStateClass` a code from sqlstate.ts; `inFlight`/`connectionLimit` feed the pool gauges (0 = unknown).
   */
  writeQuery(
    detail: number,
    sqlStateClass: number,
    key: number,
    tenant: number,
    database: number,
    seconds: number,
    inFlight: number,
    connectionLimit: number,
  ): void {
    this.ringOf(tenant).write(tag(KIND_QUERY, detail, sqlStateClass), key, tenant, database, seconds, inFlight, connectionLimit);
  }

  /** @internal */
  writeTransaction(committed: boolean, nested: boolean, tenant: number, database: number): void {
    this.ringOf(tenant).write(
      tag(KIND_TRANSACTION, committed ? TRANSACTION_COMMIT : TRANSACTION_ROLLBACK, nested ? 1 : 0),
      EMPTY_ID,
      tenant,
      database,
      0,
      0,
      0,
    );
  }

  /** @internal A tenant id's string id: UNKNOWN for a missing one, -1 for a value that is not a string. */
  tenantId(tenantId: unknown): number {
    if (tenantId === undefined || tenantId === null || tenantId === '') return UNKNOWN_ID;
    if (typeof tenantId !== 'string') return -1;
    return this.tenants.intern(tenantId);
  }

  /** @internal A SQL text's string id (the text cut to LABEL_LIMITS.sql first). */
  sqlId(sql: string): number {
    return this.sqlTexts.intern(sql);
  }

  /** @internal A label's string id (databases, tables, resource and data types). */
  labelId(label: string): number {
    return this.labels.intern(label);
  }

  /** @internal An endpoint interner with its own category rules (each Hono middleware has one); routes share one budget. */
  createEndpointInterner(categoryOf: (route: string) => string): EndpointInterner {
    return new EndpointInterner(this.strings, this.routesBudget, LABEL_LIMITS.route, categoryOf);
  }

  /** @internal Counts a refused record. */
  reject(): void {
    this.rings[0].reject();
  }

  /** @internal Test hook: hold back (or release) every worker. */
  async pauseWorkers(paused: boolean): Promise<void> {
    await Promise.all(this.supervisors.map((supervisor) => supervisor.setPaused(paused)));
  }

  /** @internal Test hook: terminate one shard's worker as if it had crashed; resolves when its replacement runs. */
  killWorker(shard = 0): Promise<void> {
    return this.supervisors[shard].kill();
  }

  /** @internal Test hook: limit each worker's drain pass (undefined: no limit). */
  async throttleWorkers(recordsPerPass: number | undefined): Promise<void> {
    await Promise.all(this.supervisors.map((supervisor) => supervisor.throttle(recordsPerPass)));
  }

  /** @internal Test hook: make one shard's worker hang. */
  hangWorker(shard = 0): Promise<void> {
    return this.supervisors[shard].hang();
  }

  private async close(timeoutMillis: number): Promise<void> {
    this.runtimeSampler?.stop();
    this.detachSignals?.();
    const deadline = Date.now() + timeoutMillis;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMillis);
    });
    const stopped = Promise.allSettled(this.supervisors.map((supervisor) => supervisor.shutdown(deadline)));
    const result = await Promise.race([stopped, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      const left = this.leftover();
      await Promise.allSettled(this.supervisors.map((supervisor) => supervisor.terminate()));
      throw new Error(
        `ringmeter: shutdown did not finish within ${timeoutMillis} ms; left behind: ${left.inRing} records in the rings and their overflow, ${left.aggregated} aggregated records not exported`,
      );
    }
    const reasons = result.flatMap((settled) => (settled.status === 'rejected' ? [errorText(settled.reason)] : []));
    if (reasons.length > 0) throw new Error(reasons.join('; '));
  }

  /** Records not yet exported: still in the rings or their overflow, and aggregated by workers but not accepted by the backend. */
  private leftover(): { inRing: number; aggregated: number } {
    let inRing = 0;
    let aggregated = 0;
    for (const ring of this.rings) {
      inRing += ring.used + ring.spill.pending;
      const header = ring.header;
      aggregated += ((header.readIndex - header.exportedReadIndex) >>> 0) + ((header.spillRecordsRead - header.exportedSpillRecords) >>> 0);
    }
    return { inRing, aggregated };
  }

  private ringOf(tenant: number): RingWriter {
    const rings = this.rings;
    return rings.length === 1 ? rings[0] : rings[tenant % rings.length];
  }
}

export function createCollector(options?: CollectorOptions): Collector {
  return new Collector(options);
}

function workerConfig(options: ResolvedOptions, shard: number, stringTableEntries: number): WorkerConfig {
  const resource: WorkerConfig['resource'] = {
    ...options.resourceAttributes,
    'service.name': options.serviceName,
    'service.instance.id': options.serviceInstanceId,
    ...SDK_INFO,
    'telemetry.distro.name': 'ringmeter',
    'telemetry.distro.version': VERSION,
  };
  // With several shards each is its own writer of the series without a tenant label (sizes, pool gauges, self
  // metrics): the shard attribute keeps those series distinct, as OpenTelemetry's single-writer rule asks.
  if (options.workers > 1) resource['ringmeter.shard'] = shard;
  return {
    shard,
    shards: options.workers,
    ringCapacity: options.ringCapacity,
    stringTableEntries,
    resource,
    otlp: { ...options.otlp },
    maxSeries: Math.ceil(options.maxSeries / options.workers),
    maxMemoryBytes: Math.floor(options.maxMemoryBytes / options.workers),
    seriesIdleMillis: options.seriesIdleMillis,
    families: { ...options.metrics },
  };
}

const CALL_OPTION_NAMES: OptionNames<FlushOptions & ShutdownOptions> = { timeoutMillis: true };

/** The `timeoutMillis` of a flush or shutdown call, checked like a collector option. */
function callTimeout(call: 'flush' | 'shutdown', options: FlushOptions | ShutdownOptions, fallback: number): number {
  if (options === null || typeof options !== 'object') throw new TypeError(`${call} options must be an object`);
  refuseUnknownOptions(`${call} options`, options, CALL_OPTION_NAMES);
  const { timeoutMillis = fallback } = options;
  if (typeof timeoutMillis !== 'number')
    throw new TypeError(`${call} options.timeoutMillis must be a number (got ${quote(timeoutMillis)})`);
  if (!Number.isInteger(timeoutMillis) || timeoutMillis < 1 || timeoutMillis > 3_600_000) {
    throw new RangeError(`${call} options.timeoutMillis must be an integer from 1 to 3600000 (got ${quote(timeoutMillis)})`);
  }
  return timeoutMillis;
}

function isStatusCode(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 999;
}

/** A finite, non-negative number (durations, usage). */
function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value !== Infinity;
}

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value !== Infinity;
}

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
