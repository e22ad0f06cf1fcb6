/**
 * Every metric ringmeter exports: name, unit, kind and labels. The worker builds its OTLP data from this table and
 * docs/metrics.md documents it; nothing else spells a metric name.
 */
export type MetricKind = 'counter' | 'histogram' | 'gauge';

export interface MetricDefinition {
  readonly name: string;
  readonly kind: MetricKind;
  readonly unit: string;
  readonly description: string;
  readonly labels: readonly string[];
  /** Histogram bucket boundaries. */
  readonly boundaries?: readonly number[];
}

/** Seconds; the OpenTelemetry semantic-convention advice for http.server.request.duration. */
export const HTTP_DURATION_BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] as const;
/** Seconds; finer at the low end, where most queries fall. */
export const DB_DURATION_BOUNDARIES = [0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] as const;
/** Bytes, powers of four from 64 B to 16 MiB. */
export const SIZE_BOUNDARIES = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216] as const;
/** Seconds, for garbage-collection pauses. */
export const GC_DURATION_BOUNDARIES = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1] as const;

function counter(name: string, unit: string, labels: readonly string[], description: string): MetricDefinition {
  return { name, kind: 'counter', unit, labels, description };
}

function gauge(name: string, unit: string, labels: readonly string[], description: string): MetricDefinition {
  return { name, kind: 'gauge', unit, labels, description };
}

export interface HistogramDefinition extends MetricDefinition {
  readonly kind: 'histogram';
  readonly boundaries: readonly number[];
}

function histogram(
  name: string,
  unit: string,
  labels: readonly string[],
  boundaries: readonly number[],
  description: string,
): HistogramDefinition {
  return { name, kind: 'histogram', unit, labels, boundaries, description };
}

export const METRICS = {
  httpRequests: counter('http_requests_total', '{request}', ['method', 'route', 'status_code', 'tenant_id'], 'HTTP requests served.'),
  httpDuration: histogram(
    'http_request_duration_seconds',
    's',
    ['method', 'route', 'tenant_id'],
    HTTP_DURATION_BOUNDARIES,
    'Time from request received to response sent.',
  ),
  httpRequestSize: histogram('http_request_size_bytes', 'By', ['method', 'route'], SIZE_BOUNDARIES, 'Request body size.'),
  httpResponseSize: histogram('http_response_size_bytes', 'By', ['method', 'route'], SIZE_BOUNDARIES, 'Response body size.'),

  tenantApiCalls: counter(
    'tenant_api_calls_total',
    '{call}',
    ['tenant_id', 'endpoint_category'],
    'API calls per tenant and endpoint category.',
  ),
  tenantDataProcessed: counter(
    'tenant_data_processed_bytes',
    'By',
    ['tenant_id', 'data_type'],
    'Request (data_type=request) and response (data_type=response) body bytes per tenant, and recordTenantResource usage with dataType bytes (data_type=<resourceType>).',
  ),
  tenantActivityPattern: gauge(
    'tenant_activity_pattern',
    '1',
    ['tenant_id', 'pattern'],
    "1 for the tenant's activity pattern at the end of the export interval: one pattern per tenant seen in the last hour.",
  ),
  tenantCostShare: gauge(
    'tenant_cost_share',
    '1',
    ['tenant_id', 'resource'],
    "The tenant's share of the export interval's request_time, database_time or bytes (0 to 1; the shares of a resource sum to 1 per shard).",
  ),
  tenantAnomaly: gauge(
    'tenant_anomaly',
    '1',
    ['tenant_id', 'signal'],
    "1 when the tenant's error_rate or latency_p95 of the export interval is far outside its own recent baseline; 0 once when that ends.",
  ),
  tenantErrorRate: gauge(
    'tenant_error_rate',
    '1',
    ['tenant_id'],
    "Share of the tenant's requests in the export interval that ended with a 5xx status (0 to 1).",
  ),
  tenantAvgResponseTime: gauge(
    'tenant_avg_response_time_seconds',
    's',
    ['tenant_id'],
    "Mean duration of the tenant's requests in the export interval.",
  ),
  tenantResourceUsage: counter(
    'tenant_resource_usage_total',
    '1',
    ['tenant_id', 'resource_type', 'data_type'],
    'Usage recorded with recordTenantResource, summed.',
  ),

  dbQueryDuration: histogram(
    'db_query_duration_seconds',
    's',
    ['query_type', 'table', 'tenant_id'],
    DB_DURATION_BOUNDARIES,
    'Time from query sent to result received (or failure).',
  ),
  dbQueries: counter(
    'db_queries_total',
    '{query}',
    ['query_type', 'success', 'error_class', 'tenant_id'],
    'Queries run; a failure carries error_class, the SQLSTATE class (first two characters), when the server sent one. success=unknown: seen by the Drizzle logger hook, before the query ran.',
  ),
  dbTransactions: counter(
    'db_transactions_total',
    '{transaction}',
    ['status', 'nested', 'tenant_id'],
    'Transactions (nested=false) and savepoints (nested=true) ended by commit or rollback.',
  ),
  dbConnectionsActive: gauge(
    'db_connections_active',
    '{connection}',
    ['database'],
    "Most connections in use at once during the export interval (queries in flight outside transactions, transactions and reserved connections, at most the client's max), as seen when a query started.",
  ),
  dbConnectionsIdle: gauge(
    'db_connections_idle',
    '{connection}',
    ['database'],
    "The client's max minus db_connections_active: connections it still had free at its busiest moment of the interval (open or not yet opened).",
  ),

  appMemoryUsage: gauge(
    'app_memory_usage_bytes',
    'By',
    ['process_type', 'memory_type'],
    "Memory of the process (memory_type=rss) and of each thread's V8 heap.",
  ),
  appCpuUsage: gauge(
    'app_cpu_usage_percent',
    '%',
    ['process_type'],
    'CPU time over the sample interval, in percent of one core: the whole process (process_type=process), the main thread (main) and each metrics worker (metrics_worker); the per-thread values on Linux only.',
  ),
  appEventLoopDelay: gauge(
    'app_event_loop_delay_seconds',
    's',
    ['quantile'],
    "The main thread's event-loop delay over the sample interval (how late a 10 ms probe timer ran): quantile=0.5 and 0.99.",
  ),
  appGcDuration: histogram(
    'app_gc_duration_seconds',
    's',
    ['gc_type'],
    GC_DURATION_BOUNDARIES,
    'Garbage-collection pauses of the main thread.',
  ),

  recordsWritten: counter('ringmeter.records.written', '{record}', [], 'Records that entered the ring.'),
  recordsSpilled: counter(
    'ringmeter.records.spilled',
    '{record}',
    [],
    'Records kept in the main-thread overflow because the ring was full, then aggregated.',
  ),
  recordsDropped: counter(
    'ringmeter.records.dropped',
    '{record}',
    ['reason'],
    'Records dropped before aggregation (reason=ring_full: the ring full and its overflow at maxMemoryBytes; undecodable).',
  ),
  recordsRejected: counter(
    'ringmeter.records.rejected',
    '{record}',
    ['reason'],
    'Records refused because a value was invalid (reason=invalid_value).',
  ),
  recordsLost: counter(
    'ringmeter.records.lost',
    '{record}',
    ['reason'],
    'Aggregated records lost with a worker that died before exporting them (reason=worker_exit).',
  ),
  recordsPossiblyDelivered: counter(
    'ringmeter.records.possibly_delivered',
    '{record}',
    ['reason'],
    'Aggregated records whose export request was out when their worker died (reason=worker_exit): the backend may have them; not counted as lost.',
  ),
  workerRestarts: counter(
    'ringmeter.workers.restarts',
    '{restart}',
    [],
    'Times a metrics worker was replaced because it exited, threw or hung (reported by its replacement).',
  ),
  sqlTextsOverflowed: counter(
    'ringmeter.sql_texts.overflowed',
    '{query}',
    [],
    'Queries whose SQL text came after maxSqlTexts distinct texts were known: counted with query_type=OTHER, table=__overflow__.',
  ),
  seriesOverflowed: counter(
    'ringmeter.series.overflowed',
    '{record}',
    ['metric'],
    'Records aggregated into an overflow series because maxSeries or maxMemoryBytes was reached.',
  ),
  tenantsFolded: counter(
    'ringmeter.tenants.folded',
    '{tenant}',
    [],
    "Tenants folded into tenant_id=__overflow__ because the worker's maxMemoryBytes share was reached when they first came.",
  ),
  recordsFolded: counter(
    'ringmeter.records.folded',
    '{record}',
    [],
    'Records aggregated under tenant_id=__overflow__ because of maxMemoryBytes: every record of a folded tenant, and each record of another whose own series did not fit.',
  ),
  exporterPointsExported: counter(
    'otel.sdk.exporter.metric_data_point.exported',
    '{metric_data_point}',
    ['otel.component.type', 'error.type'],
    'Data points whose export finished; error.type is set on failure.',
  ),
  exporterDuration: histogram(
    'otel.sdk.exporter.operation.duration',
    's',
    ['otel.component.type', 'error.type'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    'Duration of one export request, retries included.',
  ),
} as const satisfies Record<string, MetricDefinition>;

export type MetricId = keyof typeof METRICS;
