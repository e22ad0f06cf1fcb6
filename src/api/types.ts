/**
 * The public types of the collector's API: what the record calls take, what stats() and health() return, what
 * flush() and shutdown() take. Their values are checked in collector.ts (record-values.ts for the numbers).
 */
import type { QueryType } from '../contract/codes.js';

/**
 * The one health vocabulary inside ringmeter: `ok`; `degraded`, metrics flow but some were lost or refused recently;
 * `failing`, metrics are not getting out. The HTTP routes show it in the words they document (operations/http-status.ts).
 */
export type HealthStatus = 'ok' | 'degraded' | 'failing';

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
    /**
     * Of `spilled`, records folded on the main thread into per-series accumulators because the ring and the raw
     * overflow segments were full (a long burst): memory follows their series, not their number.
     */
    folded: number;
    /** Of `folded`, records that went to their metric's overflow series (`__overflow__`): the fold was at its series bound. */
    foldedToOverflow: number;
    /**
     * Entries made in the fold block being filled, or in the last one sealed (one per series folded, the overflow
     * series included), summed over the shards; 0 until a burst has folded.
     */
    foldEntries: number;
    /** Of that block's entries, how many new series may take (7/8): past it a series' records go to its overflow series. */
    foldSeriesBound: number;
    /** That block's entries in all: the series bound, and the rest for overflow series (sized by what maxMemoryBytes left). */
    foldCapacity: number;
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
    /**
     * Data points of requests that timed out after going out whole: the backend may have taken them, and they are
     * sent again (delivery is at least once), so it may hold them twice.
     */
    possiblyDuplicatedDataPoints: number;
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
  status: HealthStatus;
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
