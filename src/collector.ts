import { methodId } from './contract/http-methods.js';
import { integerIn, quote, refuseUnknownOptions, requireObject } from './options/checks.js';
import type { LiveOptions } from './options/live.js';
import { resolveOptions } from './options/resolve.js';
import type { CollectorOptions, MetricFamiliesOptions, ResolvedOptions } from './options/table.js';
import { BYTES_DATA_TYPE, HTTP_BODY_DATA_TYPES, QUERY_KEY_IS_SQL, QUERY_SUCCESS, queryTypeId, type QueryType } from './contract/codes.js';
import { tenantReport, type TenantReport } from './operations/tenant-report.js';
import { shownTenant } from './operations/tenant-visibility.js';
import { Recorder } from './recorder.js';
import { reportAtExit } from './process/exit-report.js';
import { handleSignals } from './process/signals.js';
import { sqlStateClassCode } from './contract/sqlstate.js';
import { EMPTY_ID, UNKNOWN_ID } from './contract/strings-layout.js';
import { isByteCount, isDuration, isStatusCode, isUsage } from './api/record-values.js';

export type { QueryType } from './contract/codes.js';

export interface HttpRecord {
  /** The request method; anything outside the standard methods is recorded as `_OTHER`. */
  method: string;
  /** The matched route pattern (`/users/:id`), never the raw path. */
  route: string;
  statusCode: number;
  /**
   * Missing (undefined or null): `unknown`. Anything that is no usable tenant id (not a string, empty, over 128
   * characters, control characters, lone surrogates, or a reserved name: `unknown`, `invalid`, `__overflow__`,
   * `system`) is recorded as `invalid` and counted in `stats().rejectedBy['recordHttp.tenantId']`
   * (`….tenantId.reserved` for a reserved name).
   */
  tenantId?: string | null;
  /** 0 to 86,400 (a day); anything else refuses the record. */
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
  /** As HttpRecord's (counted as `recordQuery.tenantId`). */
  tenantId?: string | null;
  /** 0 to 86,400 (a day); anything else refuses the record. */
  durationSeconds: number;
  /** [default: true] */
  success?: boolean;
  /** SQLSTATE of a failure; its class (first two characters) becomes the error_class label. */
  sqlState?: string;
}

export interface TransactionRecord {
  status: 'commit' | 'rollback';
  /** As HttpRecord's (counted as `recordTransaction.tenantId`). */
  tenantId?: string | null;
  /** A savepoint rather than a top-level transaction. [default: false] */
  nested?: boolean;
}

export interface TenantResourceRecord {
  /** As HttpRecord's (counted as `recordTenantResource.tenantId`). */
  tenantId?: string | null;
  /** What was used: 'storage', 'compute', 'emails'… */
  resourceType: string;
  /** How much, 0 to 2^53 − 1 (anything else refuses the record); added to tenant_resource_usage_total. */
  usage: number;
  /**
   * [default: 'unknown'] With 'bytes' the usage is a byte count that also goes to
   * tenant_data_processed_bytes{data_type=<resourceType>}; resourceType 'request' and 'response' are then refused
   * (HTTP bodies use them).
   */
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
  /**
   * The same, by call and field: `{ 'recordHttp.statusCode': 3 }`; and tenant ids recorded as `invalid` instead of
   * what was given, by record call or hook (`recordHttp.tenantId`, `honoMetrics.tenant`, `instrumentPostgres.tenant`,
   * `….reserved` for a reserved name): those records were kept, so they are not in `rejected`.
   */
  rejectedBy: Record<string, number>;
  /** Failures inside ringmeter's own hooks while recording (never the application's fault; its work went on), by hook. */
  hookFailures: Record<string, number>;
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
    /**
     * The connectivity check of the endpoint the last `configure()` set (an empty OTLP export): `pending` until it
     * answers; undefined while no configure() changed the endpoint, headers or compression.
     */
    connectivity:
      | { status: 'pending' | 'reachable' | 'unreachable'; checkedAtMillis: number | undefined; error: string | undefined }
      | undefined;
  };
  /** Series held by the workers (as of their last export). */
  series: number;
  /**
   * The workers' memory bound and what it holds, as of each worker's last drain pass (docs/architecture.md, "Memory
   * accounting").
   */
  memory: {
    /** maxMemoryBytes. */
    limitBytes: number;
    /** What counts against it now: the workers' series, tenant state and GET /metrics totals, and the overflow's records. */
    usedBytes: number;
    /** Client-chosen tenants with state of their own in the workers now. */
    tenants: number;
    /** Tenants folded into `__overflow__` now: the bound was reached when they first came. */
    foldedTenants: number;
    /** Records aggregated under `__overflow__` because of the bound, since the workers started. */
    foldedRecords: number;
  };
  /**
   * `lostRecords`: aggregated records a worker died holding, never exported; `possiblyDelivered`: those whose
   * export request was out when it died (the backend may have them; they are not sent again).
   */
  workers: { count: number; running: number; restarts: number; lostRecords: number; possiblyDelivered: number };
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

/**
 * The recording side of ringmeter. Record methods run on the request path: they validate, turn strings into ids
 * (a Map lookup once a string is known) and write one record into the tenant's shard ring. They never throw and
 * never wait; what they refuse is counted in `stats().rejected`, what a full ring drops in `stats().ring.dropped`.
 */
/** Set by Collector's static block: the one way to reach a collector's private recorder. */
let readRecorder: (collector: Collector) => Recorder;

export class Collector {
  /** Everything behind the record API; reached by ringmeter's own hooks through recorderOf() (internal.ts). */
  readonly #recorder: Recorder;
  /** The recorder's family switches (one object, changed in place by configure()): one read per record call. */
  readonly #families: Required<MetricFamiliesOptions>;
  private closed: Promise<void> | undefined;
  private readonly detachSignals: (() => void) | undefined;
  /** Stops the exit report (exit-report.ts): once shutdown() is called, it has said what it could not export. */
  private readonly detachExitReport: () => void;

  static {
    readRecorder = (collector) => collector.#recorder;
  }

  constructor(options: CollectorOptions = {}) {
    const resolved = resolveOptions(options);
    this.#recorder = new Recorder(resolved);
    this.#families = this.#recorder.families;
    this.detachSignals = resolved.handleSignals ? handleSignals(() => this.shutdown()) : undefined;
    this.detachExitReport = reportAtExit(() => this.#recorder.unexportedAtExit());
  }

  private get recorder(): Recorder {
    return this.#recorder;
  }

  /** The options in effect, every one filled in; `configure()` replaces them. */
  get options(): ResolvedOptions {
    return this.#recorder.options;
  }

  recordHttp(record: HttpRecord): void {
    if (!this.#families.http) return;
    try {
      const { method, route, statusCode, tenantId, durationSeconds } = record;
      const requestBytes = record.requestBytes ?? 0;
      const responseBytes = record.responseBytes ?? 0;
      const invalid =
        typeof method !== 'string'
          ? 'method'
          : typeof route !== 'string'
            ? 'route'
            : !isStatusCode(statusCode)
              ? 'statusCode'
              : !isDuration(durationSeconds)
                ? 'durationSeconds'
                : !isByteCount(requestBytes)
                  ? 'requestBytes'
                  : !isByteCount(responseBytes)
                    ? 'responseBytes'
                    : undefined;
      if (invalid !== undefined) {
        this.recorder.reject(`recordHttp.${invalid}`);
        return;
      }
      const tenant = this.recorder.tenantId(tenantId, 'recordHttp.tenantId');
      this.recorder.writeHttp(
        methodId(method),
        statusCode,
        this.recorder.endpoints.intern(route),
        tenant,
        durationSeconds,
        requestBytes,
        responseBytes,
      );
    } catch {
      // A getter on the record threw: the record is refused, the caller never sees it.
      this.recorder.reject('recordHttp.record');
    }
  }

  recordQuery(record: QueryRecord): void {
    if (!this.#families.db) return;
    try {
      const { sql, queryType, table, tenantId, durationSeconds } = record;
      const success = record.success ?? true;
      const invalid = !isDuration(durationSeconds) ? 'durationSeconds' : typeof success !== 'boolean' ? 'success' : undefined;
      if (invalid !== undefined) {
        this.recorder.reject(`recordQuery.${invalid}`);
        return;
      }
      let detail = success ? QUERY_SUCCESS : 0;
      let key: number;
      if (typeof sql === 'string') {
        detail |= QUERY_KEY_IS_SQL;
        key = this.recorder.sqlId(sql);
      } else {
        const type = queryType === undefined ? 0 : queryTypeId(queryType);
        if (type < 0 || (table !== undefined && typeof table !== 'string')) {
          this.recorder.reject(type < 0 ? 'recordQuery.queryType' : 'recordQuery.table');
          return;
        }
        detail |= type << 4;
        key = table === undefined ? EMPTY_ID : this.recorder.labelId(table);
      }
      const tenant = this.recorder.tenantId(tenantId, 'recordQuery.tenantId');
      this.recorder.writeQuery(detail, success ? 0 : sqlStateClassCode(record.sqlState), key, tenant, EMPTY_ID, durationSeconds, 0, 0);
    } catch {
      this.recorder.reject('recordQuery.record');
    }
  }

  recordTransaction(record: TransactionRecord): void {
    if (!this.#families.db) return;
    try {
      const { status, tenantId } = record;
      const nested = record.nested ?? false;
      const invalid = status !== 'commit' && status !== 'rollback' ? 'status' : typeof nested !== 'boolean' ? 'nested' : undefined;
      if (invalid !== undefined) {
        this.recorder.reject(`recordTransaction.${invalid}`);
        return;
      }
      const tenant = this.recorder.tenantId(tenantId, 'recordTransaction.tenantId');
      this.recorder.writeTransaction(status === 'commit', nested, tenant, EMPTY_ID);
    } catch {
      this.recorder.reject('recordTransaction.record');
    }
  }

  recordTenantResource(record: TenantResourceRecord): void {
    if (!this.#families.tenant) return;
    try {
      const { tenantId, resourceType, usage } = record;
      const dataType = record.dataType ?? '';
      const bytes = dataType === BYTES_DATA_TYPE;
      const invalid =
        typeof resourceType !== 'string' || (bytes && HTTP_BODY_DATA_TYPES.includes(resourceType))
          ? 'resourceType'
          : typeof dataType !== 'string'
            ? 'dataType'
            : !isUsage(usage)
              ? 'usage'
              : undefined;
      if (invalid !== undefined) {
        this.recorder.reject(`recordTenantResource.${invalid}`);
        return;
      }
      const tenant = this.recorder.tenantId(tenantId, 'recordTenantResource.tenantId');
      const resource = this.recorder.labelId(resourceType);
      const data = dataType === '' ? UNKNOWN_ID : this.recorder.labelId(dataType);
      this.recorder.writeUsage(resource, tenant, data, usage, bytes);
    } catch {
      this.recorder.reject('recordTenantResource.record');
    }
  }

  /** Resolves once everything recorded before the call has been exported; rejects saying why not. */
  async flush(options: FlushOptions = {}): Promise<void> {
    await this.recorder.flush(callTimeout('flush', options, this.options.otlp.timeoutMillis));
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
    if (this.closed === undefined) {
      this.detachSignals?.();
      this.detachExitReport();
      this.closed = this.recorder.stop(timeoutMillis);
    }
    return this.closed;
  }

  /**
   * Changes options on the running collector, without a restart and without losing or double-counting a record:
   * `otlp` (endpoint, headers, compression, timeoutMillis, exportIntervalMillis, batchSize), `exporters`, the metric
   * families `metrics.*`, the caps `maxTenants`, `maxRoutes`, `maxSqlTexts` (up to their values at creation),
   * `runtimeMetricsIntervalMillis`, `workerHangMillis` and `shutdownTimeoutMillis`. Validated as createCollector
   * validates: a bad value rejects with the same TypeError or RangeError naming the option, and changes nothing;
   * any other option rejects naming it (it needs a restart). Resolves once every worker applies the change. What
   * was aggregated before goes where it was meant to go, unless that destination is failing; see
   * docs/configuration.md, "Changing options at run time".
   */
  configure(options: LiveOptions): Promise<void> {
    if (this.closed !== undefined) return Promise.reject(new Error('ringmeter: configure() after shutdown(); the collector is shut down'));
    try {
      return this.recorder.configure(options);
    } catch (error) {
      // Like flush(): a promise-returning call reports a bad argument by rejecting, never by throwing.
      return Promise.reject(error as Error);
    }
  }

  /** The pipeline's state as a verdict: see CollectorHealth. Cheap enough for every readiness probe. */
  health(): CollectorHealth {
    return this.recorder.health(this.closed !== undefined);
  }

  stats(): CollectorStats {
    return this.recorder.stats();
  }

  /**
   * One tenant's figures since it was first seen, as GET /metrics/tenants/:id gives them (docs/tenants.md,
   * "Analytics API"), for the application's own code: no authorization here, the caller is the application.
   * Resolves with undefined for a tenant the workers do not know; rejects if a worker does not answer within
   * `timeoutMillis`, or for a bad argument.
   */
  async tenant(tenantId: string, timeoutMillis = 5_000): Promise<TenantReport | undefined> {
    if (typeof tenantId !== 'string') throw new TypeError(`tenant(tenantId) must be given a string (got ${quote(tenantId)})`);
    integerIn('tenant() timeoutMillis', timeoutMillis, 1, MAX_CALL_TIMEOUT_MILLIS);
    if (this.closed !== undefined) throw new Error('ringmeter: tenant() after shutdown(); the collector is shut down');
    // The application's own code sees as a '*' caller does: a reserved id gives the pooled pseudo-tenant.
    const found = shownTenant(await this.recorder.analytics({ all: false, tenants: [tenantId] }, timeoutMillis), tenantId, true);
    return found === undefined ? undefined : tenantReport(found);
  }
}

/** The recorder behind a collector: for ringmeter's own hooks and tests (internal.ts), not the public API. */
export function recorderOf(collector: Collector): Recorder {
  return readRecorder(collector);
}

export function createCollector(options?: CollectorOptions): Collector {
  return new Collector(options);
}

/** The longest deadline a call takes (an hour), as shutdownTimeoutMillis. */
const MAX_CALL_TIMEOUT_MILLIS = 3_600_000;

/** The `timeoutMillis` of a flush or shutdown call, checked like a collector option. */
function callTimeout(call: 'flush' | 'shutdown', options: FlushOptions | ShutdownOptions, fallback: number): number {
  requireObject(`${call} options`, options);
  refuseUnknownOptions(`${call} options`, options, ['timeoutMillis']);
  return integerIn(`${call} options.timeoutMillis`, options.timeoutMillis ?? fallback, 1, MAX_CALL_TIMEOUT_MILLIS);
}
