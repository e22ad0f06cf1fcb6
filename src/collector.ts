import { methodId } from './contract/http-methods.js';
import { integerIn, quote, refuseUnknownOptions, requireObject } from './options/checks.js';
import type { LiveOptions } from './options/live.js';
import { resolveOptions } from './options/resolve.js';
import type { CollectorOptions, MetricFamiliesOptions, ResolvedOptions } from './options/table.js';
import { BYTES_DATA_TYPE, HTTP_BODY_DATA_TYPES, QUERY_KEY_IS_SQL, QUERY_SUCCESS, QUERY_TYPE_SHIFT, queryTypeId } from './contract/codes.js';
import type {
  CollectorHealth,
  CollectorStats,
  FlushOptions,
  HttpRecord,
  QueryRecord,
  ShutdownOptions,
  TenantResourceRecord,
  TransactionRecord,
} from './api/types.js';
import { tenantReport, type TenantReport } from './operations/tenant-report.js';
import { shownTenant } from './operations/tenant-visibility.js';
import { Recorder } from './engine/recorder.js';
import type { Labels } from './engine/labels.js';
import type { RecordWriter } from './engine/record-writer.js';
import { reportAtExit } from './process/exit-report.js';
import { handleSignals } from './process/signals.js';
import { sqlStateClassCode } from './contract/sqlstate.js';
import { EMPTY_ID, UNKNOWN_ID } from './contract/strings-layout.js';
import { isByteCount, isDuration, isStatusCode, isUsage } from './api/record-values.js';

export type { QueryType } from './contract/codes.js';
export type {
  CollectorHealth,
  CollectorStats,
  FlushOptions,
  HealthStatus,
  HttpRecord,
  QueryRecord,
  ShutdownOptions,
  TenantResourceRecord,
  TransactionRecord,
} from './api/types.js';

/** Set by Collector's static block: the one way to reach a collector's private recorder. */
let readRecorder: (collector: Collector) => Recorder;

/**
 * The recording side of ringmeter. Record methods run on the request path: they validate, turn strings into ids
 * (a Map lookup once a string is known) and write one record into the tenant's shard ring. They never throw and
 * never wait; what they refuse is counted in `stats().rejected`, what a full ring drops in `stats().ring.dropped`.
 */
export class Collector {
  /** Everything behind the record API; reached by ringmeter's own hooks through recorderOf() (internal.ts). */
  readonly #recorder: Recorder;
  /** The recorder's family switches (one object, changed in place by configure()): one read per record call. */
  readonly #families: Required<MetricFamiliesOptions>;
  /** The recorder's parts every record call uses, held here so that a call reads each with one property load. */
  readonly #labels: Labels;
  readonly #writer: RecordWriter;
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
    this.#labels = this.#recorder.labels;
    this.#writer = this.#recorder.writer;
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
        this.#writer.reject(`recordHttp.${invalid}`);
        return;
      }
      const tenant = this.#labels.tenantId(tenantId, 'recordHttp.tenantId');
      this.#writer.writeHttp(
        methodId(method),
        statusCode,
        this.#labels.endpoints.intern(route),
        tenant,
        durationSeconds,
        requestBytes,
        responseBytes,
      );
    } catch {
      // A getter on the record threw: the record is refused, the caller never sees it.
      this.#writer.reject('recordHttp.record');
    }
  }

  recordQuery(record: QueryRecord): void {
    if (!this.#families.db) return;
    try {
      const { sql, queryType, table, tenantId, durationSeconds } = record;
      const success = record.success ?? true;
      const invalid = !isDuration(durationSeconds) ? 'durationSeconds' : typeof success !== 'boolean' ? 'success' : undefined;
      if (invalid !== undefined) {
        this.#writer.reject(`recordQuery.${invalid}`);
        return;
      }
      let detail = success ? QUERY_SUCCESS : 0;
      let key: number;
      if (typeof sql === 'string') {
        detail |= QUERY_KEY_IS_SQL;
        key = this.#labels.sqlId(sql);
      } else {
        const type = queryType === undefined ? 0 : queryTypeId(queryType);
        if (type < 0 || (table !== undefined && typeof table !== 'string')) {
          this.#writer.reject(type < 0 ? 'recordQuery.queryType' : 'recordQuery.table');
          return;
        }
        detail |= type << QUERY_TYPE_SHIFT;
        key = table === undefined ? EMPTY_ID : this.#labels.labelId(table);
      }
      const tenant = this.#labels.tenantId(tenantId, 'recordQuery.tenantId');
      this.#writer.writeQuery(detail, success ? 0 : sqlStateClassCode(record.sqlState), key, tenant, EMPTY_ID, durationSeconds, 0, 0);
    } catch {
      this.#writer.reject('recordQuery.record');
    }
  }

  recordTransaction(record: TransactionRecord): void {
    if (!this.#families.db) return;
    try {
      const { status, tenantId } = record;
      const nested = record.nested ?? false;
      const invalid = status !== 'commit' && status !== 'rollback' ? 'status' : typeof nested !== 'boolean' ? 'nested' : undefined;
      if (invalid !== undefined) {
        this.#writer.reject(`recordTransaction.${invalid}`);
        return;
      }
      const tenant = this.#labels.tenantId(tenantId, 'recordTransaction.tenantId');
      this.#writer.writeTransaction(status === 'commit', nested, tenant, EMPTY_ID);
    } catch {
      this.#writer.reject('recordTransaction.record');
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
        this.#writer.reject(`recordTenantResource.${invalid}`);
        return;
      }
      const tenant = this.#labels.tenantId(tenantId, 'recordTenantResource.tenantId');
      const resource = this.#labels.labelId(resourceType);
      const data = dataType === '' ? UNKNOWN_ID : this.#labels.labelId(dataType);
      this.#writer.writeUsage(resource, tenant, data, usage, bytes);
    } catch {
      this.#writer.reject('recordTenantResource.record');
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
    return this.recorder.health();
  }

  stats(): CollectorStats {
    return this.recorder.status.stats();
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
    const found = shownTenant(await this.recorder.reads.analytics({ all: false, tenants: [tenantId] }, timeoutMillis), tenantId, true);
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
