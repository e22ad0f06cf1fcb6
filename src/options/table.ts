/**
 * The options table: every option of createCollector once, with its check (type and range), its default, the
 * environment variables it is read from, whether configure() may change it (`live`: and what a change asks for) and
 * whether a shard worker receives it (`worker`). Everything else is derived from here: the types CollectorOptions and
 * ResolvedOptions, the names a misspelling is matched against, DEFAULT_OPTIONS, the environment reading, the live
 * set, the worker's config (contract/worker-config.ts) and the change diff both threads apply (change.ts).
 *
 * Adding an option is adding a row; docs/configuration.md documents it (test/docs.test.ts holds the two together).
 */
import { randomUUID } from 'node:crypto';
import { redact } from '../secrets/redact.js';
import {
  type Check,
  flag,
  httpUrl,
  integer,
  numberAboveAtMost,
  oneOf,
  optionalFunction,
  oneOfIn,
  powerOfTwo,
  quote,
  scalarRecord,
  secretStrings,
  text,
} from './checks.js';
import { type Earlier, type GivenOf, group, type LiveNames, option, type ResolvedOf, type WorkerNames } from './option.js';
import {
  booleanVariable,
  derivedVariable,
  integerVariable,
  keyValueVariable,
  listVariable,
  otelBooleanVariable,
  textVariable,
} from './variables.js';

/** The application's creation date of a tenant: a Date, epoch milliseconds, or undefined when unknown; or a Promise of one. */
export type TenantCreatedAt = (tenantId: string) => Date | number | undefined | null | Promise<Date | number | undefined | null>;

/** Attribute values a resource may carry. */
export type ResourceAttributeValue = string | number | boolean;

/**
 * Where each interval's data goes (the worker's runExport). `prometheus` pushes nothing: it only marks that `GET /metrics`
 * (operationsRoutes) is how the data is read. `none` exports nothing and must stand alone.
 */
export type ExporterName = 'otlp' | 'console' | 'prometheus' | 'none';
const EXPORTER_NAMES: readonly ExporterName[] = ['otlp', 'console', 'prometheus', 'none'];

/** A non-empty list of known exporters, duplicates dropped; `none` only alone, since with others it means nothing. */
const exporterList: Check<readonly ExporterName[]> = (name, value) => {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of exporter names (got ${quote(value)})`);
  if (value.length === 0) throw new RangeError(`${name} must name at least one exporter (use 'none' to export nothing)`);
  const result: ExporterName[] = [];
  for (const entry of value) {
    const exporter = oneOfIn(name, entry, EXPORTER_NAMES);
    if (!result.includes(exporter)) result.push(exporter);
  }
  if (result.includes('none') && result.length > 1) {
    throw new RangeError(`${name} cannot combine 'none' with other exporters (got ${quote(value.join(','))})`);
  }
  return result;
};

/** The OTLP/HTTP encodings ringmeter sends (OTEL_EXPORTER_OTLP_PROTOCOL's values but `grpc`). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';
const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];

/** `http/protobuf` or `http/json`; `grpc`, a value the specification defines, is refused with what is supported. */
const otlpProtocol: Check<OtlpProtocol> = (name, value) => {
  if (value === 'grpc') {
    throw new RangeError(
      `${name} 'grpc' is not supported: ringmeter exports OTLP over HTTP only; use ${OTLP_PROTOCOLS.map((p) => `'${p}'`).join(' or ')}`,
    );
  }
  return oneOfIn(name, value, OTLP_PROTOCOLS);
};

/** How duration histograms are exported (OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION's values). */
export type HistogramAggregation = 'explicit_bucket_histogram' | 'base2_exponential_bucket_histogram';

/**
 * `otlp.endpoint` given as a base URL (no path, or `/`) gets the OTLP/HTTP metrics path, as OTEL_EXPORTER_OTLP_ENDPOINT
 * does: `http://collector:4318` means `http://collector:4318/v1/metrics`. A URL with a path is used as it is.
 */
function metricsUrl(value: string): string {
  const url = new URL(value);
  if (url.pathname !== '/') return value;
  url.pathname = '/v1/metrics';
  return url.href;
}

/** A resource attribute that is a non-empty string (what service.name and service.instance.id may inherit). */
const attribute =
  (key: string) =>
  (earlier: Earlier): string | undefined => {
    const value = (earlier('resourceAttributes') as Record<string, ResourceAttributeValue>)[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };

/** Why the caps of the interners may shrink but not grow on a running collector. */
const SIZED_THE_STRING_TABLE = 'the shared string table was sized from it';
/** The shortest tenant retention and series idle time: shorter would forget between two drain passes. */
const MIN_IDLE_MILLIS = 100;
/** Up to 2^40 (about 35 years, or a terabyte): far beyond any sensible value, well inside a float64's integers. */
const FAR = 2 ** 40;

export const OPTIONS = {
  /**
   * A collector that records nothing and exports nothing: no ring, no worker, every record call and hook one branch,
   * flush() and shutdown() resolved at once (the OpenTelemetry SDK's OTEL_SDK_DISABLED). [default: OTEL_SDK_DISABLED
   * (only `true` disables), else false]
   */
  disabled: option({ check: flag, default: false, variables: [otelBooleanVariable('OTEL_SDK_DISABLED')] }),
  /** service.name resource attribute. [default: OTEL_SERVICE_NAME, else 'unknown_service:node'] */
  serviceName: option({
    check: text(1, 256),
    default: 'unknown_service:node',
    variables: [textVariable('OTEL_SERVICE_NAME')],
    inherit: attribute('service.name'),
  }),
  /** service.instance.id resource attribute. [default: a random UUID] */
  serviceInstanceId: option({ check: text(1, 256), default: () => randomUUID(), inherit: attribute('service.instance.id') }),
  /** More resource attributes. [default: OTEL_RESOURCE_ATTRIBUTES, else {}] */
  resourceAttributes: option({
    check: scalarRecord,
    default: {},
    variables: [keyValueVariable('OTEL_RESOURCE_ATTRIBUTES')],
    merge: (fromVariable: Record<string, ResourceAttributeValue>, given: Record<string, ResourceAttributeValue>) => ({
      ...fromVariable,
      ...given,
    }),
  }),
  /** Where and how metrics are sent. */
  otlp: group(
    {
      /**
       * OTLP/HTTP metrics URL; a base URL without a path (`http://collector:4318`) gets `/v1/metrics`.
       * [default: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics,
       * else http://localhost:4318/v1/metrics]
       */
      endpoint: option({
        check: httpUrl(redact),
        default: 'http://localhost:4318/v1/metrics',
        variables: [
          textVariable('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'),
          derivedVariable('OTEL_EXPORTER_OTLP_ENDPOINT', (base) => `${base.replace(/\/+$/, '')}/v1/metrics`),
        ],
        given: metricsUrl,
        live: ['target'],
        worker: true,
      }),
      /** Extra request headers, e.g. a SigNoz ingestion key. [default: OTEL_EXPORTER_OTLP_(METRICS_)HEADERS, else {}] */
      headers: option({
        check: secretStrings,
        default: {},
        variables: [keyValueVariable('OTEL_EXPORTER_OTLP_METRICS_HEADERS'), keyValueVariable('OTEL_EXPORTER_OTLP_HEADERS')],
        live: ['target'],
        worker: true,
      }),
      /** Request body compression. [default: 'gzip'] */
      compression: option({
        check: oneOf('gzip', 'none'),
        default: 'gzip',
        variables: [textVariable('OTEL_EXPORTER_OTLP_METRICS_COMPRESSION'), textVariable('OTEL_EXPORTER_OTLP_COMPRESSION')],
        live: ['target'],
        worker: true,
      }),
      /**
       * The encoding of export requests: `http/protobuf` (application/x-protobuf) or `http/json` (application/json);
       * `grpc` is refused. [default: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else 'http/protobuf']
       */
      protocol: option({
        check: otlpProtocol,
        default: 'http/protobuf' as OtlpProtocol,
        variables: [textVariable('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'), textVariable('OTEL_EXPORTER_OTLP_PROTOCOL')],
        live: ['target'],
        worker: true,
      }),
      /**
       * How the duration histograms are exported: explicit buckets, or base-2 exponential histograms (at most 160
       * buckets, scale up to 20, chosen per series). Fixed at creation: the workers' stores are made for it.
       * [default: OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION, else 'explicit_bucket_histogram']
       */
      histogramAggregation: option({
        check: oneOf('explicit_bucket_histogram', 'base2_exponential_bucket_histogram'),
        default: 'explicit_bucket_histogram' as HistogramAggregation,
        variables: [textVariable('OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION')],
        worker: true,
      }),
      /** Deadline for one export request, retries included. [default: 10000] */
      timeoutMillis: option({
        check: integer(1, 600_000),
        default: 10_000,
        variables: [integerVariable('OTEL_EXPORTER_OTLP_METRICS_TIMEOUT'), integerVariable('OTEL_EXPORTER_OTLP_TIMEOUT')],
        live: ['sender'],
        worker: true,
      }),
      /** Time between periodic exports. [default: OTEL_METRIC_EXPORT_INTERVAL, else 30000] */
      exportIntervalMillis: option({
        check: integer(100, 86_400_000),
        default: 30_000,
        variables: [integerVariable('OTEL_METRIC_EXPORT_INTERVAL')],
        live: ['interval'],
        worker: true,
      }),
      /** Most data points in one export request. [default: METRICS_BATCH_SIZE, else 512] */
      batchSize: option({
        check: integer(1, 1_000_000),
        default: 512,
        variables: [integerVariable('METRICS_BATCH_SIZE')],
        live: [],
        worker: true,
      }),
    },
    { live: true, worker: true },
  ),
  /** Where each interval's data goes; several at once get the same data once each. [default: OTEL_METRICS_EXPORTER, else ['otlp']] */
  exporters: option({
    check: exporterList,
    default: ['otlp'] as readonly ExporterName[],
    variables: [listVariable('OTEL_METRICS_EXPORTER')],
    live: ['exporters'],
    worker: true,
  }),
  /** Which metric families are recorded; a disabled family costs one branch per call. */
  metrics: group(
    {
      /** http_* and the request-derived tenant_* metrics. [default: ENABLE_API_METRICS, else true] */
      http: option({ check: flag, default: true, variables: [booleanVariable('ENABLE_API_METRICS')], live: ['families'], worker: true }),
      /** db_* metrics. [default: ENABLE_DB_METRICS, else true] */
      db: option({ check: flag, default: true, variables: [booleanVariable('ENABLE_DB_METRICS')], live: ['families'], worker: true }),
      /** tenant_* metrics. [default: ENABLE_TENANT_METRICS, else true] */
      tenant: option({
        check: flag,
        default: true,
        variables: [booleanVariable('ENABLE_TENANT_METRICS')],
        live: ['families'],
        worker: true,
      }),
      /** app_* process metrics (memory, CPU, GC). [default: ENABLE_CUSTOM_METRICS, else true] */
      runtime: option({
        check: flag,
        default: true,
        variables: [booleanVariable('ENABLE_CUSTOM_METRICS')],
        live: ['families', 'sampler'],
        worker: true,
      }),
    },
    { live: true, worker: true },
  ),
  /** Worker threads, one ring shard each; records are sharded by tenant. [default: 1] */
  workers: option({ check: integer(1, 64), default: 1 }),
  /** Records per shard ring, a power of two (2^24 records are 512 MiB per ring). [default: 16384] */
  ringCapacity: option({ check: powerOfTwo(16, 2 ** 24), default: 16_384, worker: true }),
  /** Series per metric; more go to one overflow series. [default: 100000] */
  maxSeries: option({ check: integer(1, 100_000_000), default: 100_000, worker: true }),
  /** Distinct tenant ids; more are recorded as '__overflow__'. [default: 10000] */
  maxTenants: option({ check: integer(1, 10_000_000), default: 10_000, live: ['main'], fixedCeiling: SIZED_THE_STRING_TABLE }),
  /**
   * When a tenant was created (a Date or epoch milliseconds; undefined when unknown), sync or async, so that the
   * `onboarding` pattern follows the tenant's creation. Called off the request path, once per tenant id new to
   * this process (results cached), never for a known one. [default: none: onboarding follows the first record
   * this process saw, so after a restart every active tenant is onboarding for onboardingWindowMillis]
   */
  tenantCreatedAt: option({
    check: (name, value) =>
      optionalFunction<TenantCreatedAt>(name, value, '(tenantId: string) => Date | number | undefined (or a Promise of one)'),
    // None (a computed default: a plain undefined is no default the table can tell from a missing one).
    default: () => undefined,
  }),
  /** Distinct routes; more are recorded as '__overflow__'. [default: 2000] */
  maxRoutes: option({ check: integer(1, 1_000_000), default: 2_000, live: ['main'], fixedCeiling: SIZED_THE_STRING_TABLE }),
  /** Distinct SQL texts; more are classified as '__overflow__'. [default: 1000] */
  maxSqlTexts: option({ check: integer(1, 1_000_000), default: 1_000, live: ['main'], fixedCeiling: SIZED_THE_STRING_TABLE }),
  /**
   * Bytes of the workers' state across workers (series, tenant profiles, GET /metrics totals), shared with the records
   * held in the overflow while a ring is full; beyond it new tenants are folded into '__overflow__', new series
   * overflow and records are dropped (counted). [default: METRICS_MAX_MEMORY, else 10485760]
   */
  maxMemoryBytes: option({
    check: integer(65_536, FAR),
    default: 10_485_760,
    variables: [integerVariable('METRICS_MAX_MEMORY')],
    worker: true,
  }),
  /**
   * A tenant with no record for this long, and nothing left to export, is forgotten on both threads: its series,
   * its state and its id, whose slot under `maxTenants` a new tenant may then take.
   * [default: TENANT_CLEANUP_INTERVAL, else 86400000]
   */
  tenantRetentionMillis: option({
    check: integer(MIN_IDLE_MILLIS, FAR),
    default: 86_400_000,
    variables: [integerVariable('TENANT_CLEANUP_INTERVAL')],
    worker: true,
  }),
  /** A series idle this long, with nothing left to export, is forgotten. [default: tenantRetentionMillis] */
  seriesIdleMillis: option({
    check: integer(MIN_IDLE_MILLIS, FAR),
    default: (earlier) => earlier('tenantRetentionMillis') as number,
    worker: true,
  }),
  /**
   * A timed query slower than this counts as slow in the analytics API (GET /metrics/database, a tenant's report).
   * [default: 500]
   */
  slowQueryMillis: option({ check: integer(1, 3_600_000), default: 500, worker: true }),
  /** Time between samples of the app_* process metrics. [default: CUSTOM_METRICS_INTERVAL, else 15000] */
  runtimeMetricsIntervalMillis: option({
    check: integer(100, 86_400_000),
    default: 15_000,
    variables: [integerVariable('CUSTOM_METRICS_INTERVAL')],
    live: ['sampler'],
  }),
  /**
   * A worker that makes no progress this long is replaced. [default: 10000] The worker receives it: an idle worker
   * sleeps up to a quarter of it between passes (workers/drain-pacing.ts).
   */
  workerHangMillis: option({ check: integer(100, 3_600_000), default: 10_000, live: ['main'], worker: true }),
  /** The deadline of `shutdown()` when none is given, and of the shutdown on a signal. [default: 10000] */
  shutdownTimeoutMillis: option({ check: integer(1, 3_600_000), default: 10_000, live: ['main'] }),
  /** On SIGTERM or SIGINT: shut down (exporting what is pending), then let the signal end the process. [default: false] */
  handleSignals: option({ check: flag, default: false }),
  /** The thresholds of the activity patterns (docs/tenants.md), given as top-level options. */
  activity: group(
    {
      /** A tenant with more requests than this in the last hour is high_volume (docs/tenants.md). [default: 1000] */
      highVolumeRequestsPerHour: option({ check: integer(1, 1e9), default: 1_000 }),
      /** At least this many requests in the last hour (and at most highVolumeRequestsPerHour): medium_volume. [default: 100] */
      mediumVolumeRequestsPerHour: option({
        check: (name, value, earlier) => {
          const medium = integer(1, 1e9)(name, value);
          const high = earlier('activity.highVolumeRequestsPerHour');
          if (medium >= (high as number)) {
            throw new RangeError(`${name} must be below options.highVolumeRequestsPerHour (${high}) (got ${quote(medium)})`);
          }
          return medium;
        },
        default: 100,
      }),
      /** A tenant first seen less than this long ago is onboarding. [default: 86400000] */
      onboardingWindowMillis: option({ check: integer(0, FAR), default: 86_400_000 }),
      /** batch_processing: the busiest this many minutes of the hour hold at least burstShare of its requests. [default: 6] */
      burstMinutes: option({ check: integer(1, 59), default: 6 }),
      /** batch_processing: the share of the hour's requests in its busiest burstMinutes, 0 to 1. [default: 0.8] */
      burstShare: option({ check: numberAboveAtMost(0, 1), default: 0.8 }),
      /** batch_processing: at least this many of the hour's 60 minutes had no request. [default: 30] */
      burstMinIdleMinutes: option({ check: integer(0, 59), default: 30 }),
      /** real_time: requests in at least this many of the hour's 60 minutes. [default: 45] */
      steadyMinActiveMinutes: option({ check: integer(1, 60), default: 45 }),
    },
    { flat: true, worker: true },
  ),
};

type Table = typeof OPTIONS;

/** What createCollector takes: every option optional (see OPTIONS for each one's meaning and default). */
export type CollectorOptions = GivenOf<Table> & {
  /** Environment to read; pass {} to ignore the process environment. [default: process.env] */
  env?: Readonly<Record<string, string | undefined>>;
};
/** Where and how metrics are sent. Every field is optional; see {@link DEFAULT_OPTIONS}. */
export type OtlpOptions = GivenOf<Table['otlp']['rows']>;
/** Which metric families are recorded; a disabled family costs one branch per call. */
export type MetricFamiliesOptions = GivenOf<Table['metrics']['rows']>;

/** Every option filled in: what the rest of the code reads. */
export type ResolvedOptions = ResolvedOf<Table> & {
  /** Set only by createTestCollector (internal.ts): the workers obey test hooks. */
  testHooks: boolean;
  /** Set only by createTestCollector: the steered time both threads read instead of the system clock's. */
  testTime: SharedArrayBuffer | undefined;
};
/** The thresholds of the activity patterns (docs/tenants.md), as the options name them. */
export type ActivityThresholds = ResolvedOptions['activity'];

/** The options configure() may change on a running collector (rows marked `live`). */
export type LiveOptionName = LiveNames<Table>;
/** The options a shard worker receives in its config (rows marked `worker`: contract/worker-config.ts). */
export type WorkerOptionName = WorkerNames<Table>;
