import { TEST_HOOKS } from './contract/test-hooks.js';
import { randomUUID } from 'node:crypto';
import { refuseUnknownOptions, type OptionNames } from './option-names.js';
import { redact } from './redact.js';
import { isPowerOfTwo, MAX_RING_CAPACITY, MIN_RING_CAPACITY } from './contract/ring-layout.js';

/** Attribute values a resource may carry. */
export type ResourceAttributeValue = string | number | boolean;

/** Where and how metrics are sent. Every field is optional; see {@link DEFAULT_OPTIONS}. */
export interface OtlpOptions {
  /**
   * OTLP/HTTP metrics URL; a base URL without a path (`http://collector:4318`) gets `/v1/metrics`.
   * [default: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics,
   * else http://localhost:4318/v1/metrics]
   */
  endpoint?: string;
  /** Extra request headers, e.g. a SigNoz ingestion key. [default: OTEL_EXPORTER_OTLP_(METRICS_)HEADERS, else {}] */
  headers?: Record<string, string>;
  /** Request body compression. [default: 'gzip'] */
  compression?: 'gzip' | 'none';
  /** Deadline for one export request, retries included. [default: 10000] */
  timeoutMillis?: number;
  /** Time between periodic exports. [default: OTEL_METRIC_EXPORT_INTERVAL, else 30000] */
  exportIntervalMillis?: number;
  /** Most data points in one export request. [default: METRICS_BATCH_SIZE, else 512] */
  batchSize?: number;
}

/** Which metric families are recorded; a disabled family costs one branch per call. */
export interface MetricFamiliesOptions {
  /** http_* and the request-derived tenant_* metrics. [default: ENABLE_API_METRICS, else true] */
  http?: boolean;
  /** db_* metrics. [default: ENABLE_DB_METRICS, else true] */
  db?: boolean;
  /** tenant_* metrics. [default: ENABLE_TENANT_METRICS, else true] */
  tenant?: boolean;
  /** app_* process metrics (memory, CPU, GC). [default: ENABLE_CUSTOM_METRICS, else true] */
  runtime?: boolean;
}

/**
 * Where each interval's data goes (the worker's runExport). `prometheus` pushes nothing: it only marks that `GET /metrics`
 * (operationsRoutes) is how the data is read. `none` exports nothing and must stand alone.
 */
export type ExporterName = 'otlp' | 'console' | 'prometheus' | 'none';

export interface CollectorOptions {
  /** service.name resource attribute. [default: OTEL_SERVICE_NAME, else 'unknown_service:node'] */
  serviceName?: string;
  /** service.instance.id resource attribute. [default: a random UUID] */
  serviceInstanceId?: string;
  /** More resource attributes. [default: OTEL_RESOURCE_ATTRIBUTES, else {}] */
  resourceAttributes?: Record<string, ResourceAttributeValue>;
  otlp?: OtlpOptions;
  /** Where each interval's data goes; several at once get the same data once each. [default: OTEL_METRICS_EXPORTER, else ['otlp']] */
  exporters?: readonly ExporterName[];
  /** Worker threads, one ring shard each; records are sharded by tenant. [default: 1] */
  workers?: number;
  /** Records per shard ring, a power of two. [default: 16384] */
  ringCapacity?: number;
  /** Series per metric; more go to one overflow series. [default: 100000] */
  maxSeries?: number;
  /** Distinct tenant ids; more are recorded as '__overflow__'. [default: 10000] */
  maxTenants?: number;
  /** Distinct routes; more are recorded as '__overflow__'. [default: 2000] */
  maxRoutes?: number;
  /** Distinct SQL texts; more are classified as '__overflow__'. [default: 1000] */
  maxSqlTexts?: number;
  /**
   * Bytes of the workers' state across workers (series, tenant profiles, GET /metrics totals), shared with the records
   * held in the overflow while a ring is full; beyond it new tenants are folded into '__overflow__', new series
   * overflow and records are dropped (counted). [default: METRICS_MAX_MEMORY, else 10485760]
   */
  maxMemoryBytes?: number;
  /**
   * A tenant with no record for this long, and nothing left to export, is forgotten on both threads: its series,
   * its state and its id, whose slot under `maxTenants` a new tenant may then take.
   * [default: TENANT_CLEANUP_INTERVAL, else 86400000]
   */
  tenantRetentionMillis?: number;
  /** A series idle this long, with nothing left to export, is forgotten. [default: tenantRetentionMillis] */
  seriesIdleMillis?: number;
  /**
   * A timed query slower than this counts as slow in the analytics API (GET /metrics/database, a tenant's report).
   * [default: 500]
   */
  slowQueryMillis?: number;
  metrics?: MetricFamiliesOptions;
  /** Time between samples of the app_* process metrics. [default: CUSTOM_METRICS_INTERVAL, else 15000] */
  runtimeMetricsIntervalMillis?: number;
  /** A worker that makes no progress this long is replaced. [default: 10000] */
  workerHangMillis?: number;
  /** The deadline of `shutdown()` when none is given, and of the shutdown on a signal. [default: 10000] */
  shutdownTimeoutMillis?: number;
  /** On SIGTERM or SIGINT: shut down (exporting what is pending), then let the signal end the process. [default: false] */
  handleSignals?: boolean;
  /** A tenant with more requests than this in the last hour is high_volume (docs/tenants.md). [default: 1000] */
  highVolumeRequestsPerHour?: number;
  /** At least this many requests in the last hour (and at most highVolumeRequestsPerHour): medium_volume. [default: 100] */
  mediumVolumeRequestsPerHour?: number;
  /** A tenant first seen less than this long ago is onboarding. [default: 86400000] */
  onboardingWindowMillis?: number;
  /** batch_processing: the busiest this many minutes of the hour hold at least burstShare of its requests. [default: 6] */
  burstMinutes?: number;
  /** batch_processing: the share of the hour's requests in its busiest burstMinutes, 0 to 1. [default: 0.8] */
  burstShare?: number;
  /** batch_processing: at least this many of the hour's 60 minutes had no request. [default: 30] */
  burstMinIdleMinutes?: number;
  /** real_time: requests in at least this many of the hour's 60 minutes. [default: 45] */
  steadyMinActiveMinutes?: number;
  /** Environment to read; pass {} to ignore the process environment. [default: process.env] */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The thresholds of the activity patterns (docs/tenants.md), as the options name them. */
export interface ActivityThresholds {
  highVolumeRequestsPerHour: number;
  mediumVolumeRequestsPerHour: number;
  onboardingWindowMillis: number;
  burstMinutes: number;
  burstShare: number;
  burstMinIdleMinutes: number;
  steadyMinActiveMinutes: number;
}

/** Every option filled in: what the rest of the code reads. */
export interface ResolvedOptions {
  serviceName: string;
  serviceInstanceId: string;
  resourceAttributes: Record<string, ResourceAttributeValue>;
  otlp: Required<OtlpOptions>;
  /** Deduplicated, in the order given; `['none']` when nothing is exported. */
  exporters: readonly ExporterName[];
  workers: number;
  ringCapacity: number;
  maxSeries: number;
  maxTenants: number;
  maxRoutes: number;
  maxSqlTexts: number;
  maxMemoryBytes: number;
  tenantRetentionMillis: number;
  seriesIdleMillis: number;
  slowQueryMillis: number;
  metrics: Required<MetricFamiliesOptions>;
  runtimeMetricsIntervalMillis: number;
  workerHangMillis: number;
  shutdownTimeoutMillis: number;
  handleSignals: boolean;
  activity: ActivityThresholds;
  /** Set only by createTestCollector (internal.ts): the workers obey test-hook messages. */
  testHooks: boolean;
}

export const DEFAULT_OPTIONS = {
  serviceName: 'unknown_service:node',
  otlp: {
    endpoint: 'http://localhost:4318/v1/metrics',
    compression: 'gzip',
    timeoutMillis: 10_000,
    exportIntervalMillis: 30_000,
    batchSize: 512,
  },
  exporters: ['otlp'],
  workers: 1,
  ringCapacity: 16_384,
  maxSeries: 100_000,
  maxTenants: 10_000,
  maxRoutes: 2_000,
  maxSqlTexts: 1_000,
  maxMemoryBytes: 10_485_760,
  /** Also the default of seriesIdleMillis, which has no default of its own. */
  tenantRetentionMillis: 86_400_000,
  slowQueryMillis: 500,
  runtimeMetricsIntervalMillis: 15_000,
  workerHangMillis: 10_000,
  shutdownTimeoutMillis: 10_000,
  handleSignals: false,
  highVolumeRequestsPerHour: 1_000,
  mediumVolumeRequestsPerHour: 100,
  onboardingWindowMillis: 86_400_000,
  burstMinutes: 6,
  burstShare: 0.8,
  burstMinIdleMinutes: 30,
  steadyMinActiveMinutes: 45,
} as const;

/** Every option name createCollector takes (configure() tells the live ones from these: live-options.ts). */
export const COLLECTOR_OPTION_NAMES: OptionNames<CollectorOptions> = {
  serviceName: true,
  serviceInstanceId: true,
  resourceAttributes: true,
  otlp: true,
  exporters: true,
  workers: true,
  ringCapacity: true,
  maxSeries: true,
  maxTenants: true,
  maxRoutes: true,
  maxSqlTexts: true,
  maxMemoryBytes: true,
  tenantRetentionMillis: true,
  seriesIdleMillis: true,
  slowQueryMillis: true,
  metrics: true,
  runtimeMetricsIntervalMillis: true,
  workerHangMillis: true,
  shutdownTimeoutMillis: true,
  handleSignals: true,
  highVolumeRequestsPerHour: true,
  mediumVolumeRequestsPerHour: true,
  onboardingWindowMillis: true,
  burstMinutes: true,
  burstShare: true,
  burstMinIdleMinutes: true,
  steadyMinActiveMinutes: true,
  env: true,
};
const OTLP_OPTION_NAMES: OptionNames<OtlpOptions> = {
  endpoint: true,
  headers: true,
  compression: true,
  timeoutMillis: true,
  exportIntervalMillis: true,
  batchSize: true,
};
const METRIC_FAMILY_NAMES: OptionNames<MetricFamiliesOptions> = { http: true, db: true, tenant: true, runtime: true };

/** Length caps for labels (UTF-16 code units). Longer tenant ids, routes and labels become 'invalid'. */
export const LABEL_LIMITS = {
  tenantId: 128,
  route: 256,
  label: 128,
  /** SQL texts are cut to this length before they cross to the worker. */
  sql: 1024,
} as const;

/** Distinct labels other than tenants, routes and SQL (databases, resource types, data types). */
export const MAX_OTHER_LABELS = 1_000;

const MAX_WORKERS = 64;
/** The shortest tenant retention and series idle time: shorter would forget between two drain passes. */
const MIN_IDLE_MILLIS = 100;

/**
 * Fills in every option: explicit options first, then the environment, then DEFAULT_OPTIONS. This is the only
 * place that reads environment variables. Throws a TypeError or RangeError naming the option (or variable).
 */
export function resolveOptions(options: CollectorOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const env = options.env ?? process.env;
  if (env === null || typeof env !== 'object') throw new TypeError('options.env must be an object');
  const otlp = options.otlp ?? {};
  if (otlp === null || typeof otlp !== 'object') throw new TypeError('options.otlp must be an object');
  const metrics = options.metrics ?? {};
  if (metrics === null || typeof metrics !== 'object') throw new TypeError('options.metrics must be an object');
  refuseUnknownOptions('options', options, COLLECTOR_OPTION_NAMES);
  refuseUnknownOptions('options.otlp', otlp, OTLP_OPTION_NAMES);
  refuseUnknownOptions('options.metrics', metrics, METRIC_FAMILY_NAMES);

  const fromEnv = readEnvironment(env);
  // Each value comes with the name to blame if it is bad: the option if given, else the variable it came from.
  const pick = <T>(name: string, value: T | undefined, setting: EnvSetting<T> | undefined, fallback: T): [string, T] =>
    value !== undefined ? [name, value] : setting !== undefined ? [setting.name, setting.value] : [name, fallback];
  const resourceAttributes = {
    ...fromEnv.resourceAttributes?.value,
    ...attributes('options.resourceAttributes', options.resourceAttributes ?? {}),
  };
  // As the OpenTelemetry SDKs do: service.name and service.instance.id may come in the resource attributes
  // (OTEL_RESOURCE_ATTRIBUTES is how Kubernetes users name a pod's instance); the dedicated option or variable wins.
  const attributeText = (key: string): string | undefined => {
    const value = resourceAttributes[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const tenantRetentionMillis = integerIn(
    ...pick(
      'options.tenantRetentionMillis',
      options.tenantRetentionMillis,
      fromEnv.tenantRetentionMillis,
      DEFAULT_OPTIONS.tenantRetentionMillis,
    ),
    MIN_IDLE_MILLIS,
    2 ** 40,
  );
  return {
    serviceName: nonEmptyString(
      ...pick(
        'options.serviceName',
        options.serviceName,
        fromEnv.serviceName,
        attributeText('service.name') ?? DEFAULT_OPTIONS.serviceName,
      ),
    ),
    serviceInstanceId: nonEmptyString(
      'options.serviceInstanceId',
      options.serviceInstanceId ?? attributeText('service.instance.id') ?? randomUUID(),
    ),
    resourceAttributes,
    otlp: {
      endpoint:
        otlp.endpoint !== undefined
          ? metricsUrl(httpUrl('options.otlp.endpoint', otlp.endpoint))
          : httpUrl(...pick('options.otlp.endpoint', undefined, fromEnv.endpoint, DEFAULT_OPTIONS.otlp.endpoint)),
      headers: headers('options.otlp.headers', otlp.headers ?? fromEnv.headers?.value ?? {}),
      compression: oneOf(
        ...pick<string>('options.otlp.compression', otlp.compression, fromEnv.compression, DEFAULT_OPTIONS.otlp.compression),
        ['gzip', 'none'] as const,
      ),
      timeoutMillis: integerIn(
        ...pick('options.otlp.timeoutMillis', otlp.timeoutMillis, fromEnv.timeoutMillis, DEFAULT_OPTIONS.otlp.timeoutMillis),
        1,
        600_000,
      ),
      exportIntervalMillis: integerIn(
        ...pick(
          'options.otlp.exportIntervalMillis',
          otlp.exportIntervalMillis,
          fromEnv.exportIntervalMillis,
          DEFAULT_OPTIONS.otlp.exportIntervalMillis,
        ),
        100,
        86_400_000,
      ),
      batchSize: integerIn(
        ...pick('options.otlp.batchSize', otlp.batchSize, fromEnv.batchSize, DEFAULT_OPTIONS.otlp.batchSize),
        1,
        1_000_000,
      ),
    },
    exporters: exporterList(...pick<unknown>('options.exporters', options.exporters, fromEnv.exporters, DEFAULT_OPTIONS.exporters)),
    workers: integerIn('options.workers', options.workers ?? DEFAULT_OPTIONS.workers, 1, MAX_WORKERS),
    ringCapacity: ringCapacity(options.ringCapacity ?? DEFAULT_OPTIONS.ringCapacity),
    maxSeries: integerIn('options.maxSeries', options.maxSeries ?? DEFAULT_OPTIONS.maxSeries, 1, 100_000_000),
    maxTenants: integerIn('options.maxTenants', options.maxTenants ?? DEFAULT_OPTIONS.maxTenants, 1, 10_000_000),
    maxRoutes: integerIn('options.maxRoutes', options.maxRoutes ?? DEFAULT_OPTIONS.maxRoutes, 1, 1_000_000),
    maxSqlTexts: integerIn('options.maxSqlTexts', options.maxSqlTexts ?? DEFAULT_OPTIONS.maxSqlTexts, 1, 1_000_000),
    maxMemoryBytes: integerIn(
      ...pick('options.maxMemoryBytes', options.maxMemoryBytes, fromEnv.maxMemoryBytes, DEFAULT_OPTIONS.maxMemoryBytes),
      65_536,
      2 ** 40,
    ),
    tenantRetentionMillis,
    seriesIdleMillis: integerIn('options.seriesIdleMillis', options.seriesIdleMillis ?? tenantRetentionMillis, MIN_IDLE_MILLIS, 2 ** 40),
    slowQueryMillis: integerIn('options.slowQueryMillis', options.slowQueryMillis ?? DEFAULT_OPTIONS.slowQueryMillis, 1, 3_600_000),
    metrics: {
      http: flag(...pick<unknown>('options.metrics.http', metrics.http, fromEnv.http, true)),
      db: flag(...pick<unknown>('options.metrics.db', metrics.db, fromEnv.db, true)),
      tenant: flag(...pick<unknown>('options.metrics.tenant', metrics.tenant, fromEnv.tenant, true)),
      runtime: flag(...pick<unknown>('options.metrics.runtime', metrics.runtime, fromEnv.runtime, true)),
    },
    runtimeMetricsIntervalMillis: integerIn(
      ...pick(
        'options.runtimeMetricsIntervalMillis',
        options.runtimeMetricsIntervalMillis,
        fromEnv.runtimeMetricsIntervalMillis,
        DEFAULT_OPTIONS.runtimeMetricsIntervalMillis,
      ),
      100,
      86_400_000,
    ),
    workerHangMillis: integerIn('options.workerHangMillis', options.workerHangMillis ?? DEFAULT_OPTIONS.workerHangMillis, 100, 3_600_000),
    shutdownTimeoutMillis: integerIn(
      'options.shutdownTimeoutMillis',
      options.shutdownTimeoutMillis ?? DEFAULT_OPTIONS.shutdownTimeoutMillis,
      1,
      3_600_000,
    ),
    handleSignals: flag('options.handleSignals', options.handleSignals ?? DEFAULT_OPTIONS.handleSignals),
    activity: activityThresholds(options),
    testHooks: (options as { [TEST_HOOKS]?: unknown })[TEST_HOOKS] === true,
  };
}

/** A value read from the environment, with the variable it came from. */
interface EnvSetting<T> {
  name: string;
  value: T;
}

interface EnvironmentOptions {
  serviceName?: EnvSetting<string>;
  resourceAttributes?: EnvSetting<Record<string, string>>;
  endpoint?: EnvSetting<string>;
  headers?: EnvSetting<Record<string, string>>;
  compression?: EnvSetting<string>;
  timeoutMillis?: EnvSetting<number>;
  exportIntervalMillis?: EnvSetting<number>;
  batchSize?: EnvSetting<number>;
  exporters?: EnvSetting<string[]>;
  maxMemoryBytes?: EnvSetting<number>;
  tenantRetentionMillis?: EnvSetting<number>;
  http?: EnvSetting<boolean>;
  db?: EnvSetting<boolean>;
  tenant?: EnvSetting<boolean>;
  runtime?: EnvSetting<boolean>;
  runtimeMetricsIntervalMillis?: EnvSetting<number>;
}

/** The environment variables ringmeter reads, parsed; a value that does not parse throws naming its variable. */
export function readEnvironment(env: Readonly<Record<string, string | undefined>>): EnvironmentOptions {
  const setting = <T>(names: string[], parse: (name: string, value: string) => T): EnvSetting<T> | undefined => {
    for (const name of names) {
      const value = env[name]?.trim();
      if (value !== undefined && value !== '') return { name, value: parse(name, value) };
    }
    return undefined;
  };
  const text = (_name: string, value: string) => value;
  const integer = (name: string, value: string) => {
    if (!/^\d+$/.test(value)) throw new RangeError(`${name} must be a non-negative integer (got ${quote(value)})`);
    return Number(value);
  };
  const bool = (name: string, value: string) => {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    throw new RangeError(`${name} must be true, false, 1 or 0 (got ${quote(value)})`);
  };
  const base = setting(['OTEL_EXPORTER_OTLP_ENDPOINT'], text);
  return {
    serviceName: setting(['OTEL_SERVICE_NAME'], text),
    resourceAttributes: setting(['OTEL_RESOURCE_ATTRIBUTES'], keyValueList),
    endpoint:
      setting(['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'], text) ??
      (base === undefined ? undefined : { name: base.name, value: `${base.value.replace(/\/+$/, '')}/v1/metrics` }),
    headers: setting(['OTEL_EXPORTER_OTLP_METRICS_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS'], keyValueList),
    compression: setting(['OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION'], text),
    timeoutMillis: setting(['OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'], integer),
    exportIntervalMillis: setting(['OTEL_METRIC_EXPORT_INTERVAL'], integer),
    batchSize: setting(['METRICS_BATCH_SIZE'], integer),
    // The OpenTelemetry form: a comma-separated list; the names are checked with the option's (exporterList).
    exporters: setting(['OTEL_METRICS_EXPORTER'], (_name, value) => value.split(',').map((part) => part.trim())),
    maxMemoryBytes: setting(['METRICS_MAX_MEMORY'], integer),
    tenantRetentionMillis: setting(['TENANT_CLEANUP_INTERVAL'], integer),
    http: setting(['ENABLE_API_METRICS'], bool),
    db: setting(['ENABLE_DB_METRICS'], bool),
    tenant: setting(['ENABLE_TENANT_METRICS'], bool),
    runtime: setting(['ENABLE_CUSTOM_METRICS'], bool),
    runtimeMetricsIntervalMillis: setting(['CUSTOM_METRICS_INTERVAL'], integer),
  };
}

/** `key1=value1,key2=value2` with percent-encoded values (the OTEL_*_HEADERS and OTEL_RESOURCE_ATTRIBUTES form). */
function keyValueList(name: string, value: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of value.split(',')) {
    if (part.trim() === '') continue;
    const cut = part.indexOf('=');
    if (cut <= 0) throw new RangeError(`${name} must be a list of key=value pairs (a pair has no '=')`);
    try {
      result[decodeURIComponent(part.slice(0, cut).trim())] = decodeURIComponent(part.slice(cut + 1).trim());
    } catch {
      throw new RangeError(`${name} holds a badly percent-encoded pair`);
    }
  }
  return result;
}

/** A value fit to quote in an error message: short, and only its type when it is an object. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number (got ${quote(value)})`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max} (got ${quote(value)})`);
  }
  return value;
}

/** The activity-pattern thresholds, each in range, and medium_volume's floor below high_volume's. */
function activityThresholds(options: CollectorOptions): ActivityThresholds {
  const d = DEFAULT_OPTIONS;
  const high = integerIn('options.highVolumeRequestsPerHour', options.highVolumeRequestsPerHour ?? d.highVolumeRequestsPerHour, 1, 1e9);
  const medium = integerIn(
    'options.mediumVolumeRequestsPerHour',
    options.mediumVolumeRequestsPerHour ?? d.mediumVolumeRequestsPerHour,
    1,
    1e9,
  );
  if (medium >= high) {
    throw new RangeError(
      `options.mediumVolumeRequestsPerHour must be below options.highVolumeRequestsPerHour (${high}) (got ${quote(medium)})`,
    );
  }
  const burstShare = options.burstShare ?? d.burstShare;
  if (typeof burstShare !== 'number') throw new TypeError(`options.burstShare must be a number (got ${quote(burstShare)})`);
  if (!(burstShare > 0 && burstShare <= 1)) {
    throw new RangeError(`options.burstShare must be a number above 0 and at most 1 (got ${quote(burstShare)})`);
  }
  return {
    highVolumeRequestsPerHour: high,
    mediumVolumeRequestsPerHour: medium,
    onboardingWindowMillis: integerIn(
      'options.onboardingWindowMillis',
      options.onboardingWindowMillis ?? d.onboardingWindowMillis,
      0,
      2 ** 40,
    ),
    burstMinutes: integerIn('options.burstMinutes', options.burstMinutes ?? d.burstMinutes, 1, 59),
    burstShare,
    burstMinIdleMinutes: integerIn('options.burstMinIdleMinutes', options.burstMinIdleMinutes ?? d.burstMinIdleMinutes, 0, 59),
    steadyMinActiveMinutes: integerIn('options.steadyMinActiveMinutes', options.steadyMinActiveMinutes ?? d.steadyMinActiveMinutes, 1, 60),
  };
}

const EXPORTER_NAMES: readonly ExporterName[] = ['otlp', 'console', 'prometheus', 'none'];

/** A non-empty list of known exporters, duplicates dropped; `none` only alone, since with others it means nothing. */
function exporterList(name: string, value: unknown): readonly ExporterName[] {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of exporter names (got ${quote(value)})`);
  if (value.length === 0) throw new RangeError(`${name} must name at least one exporter (use 'none' to export nothing)`);
  const result: ExporterName[] = [];
  for (const entry of value) {
    const exporter = oneOf(name, entry, EXPORTER_NAMES);
    if (!result.includes(exporter)) result.push(exporter);
  }
  if (result.includes('none') && result.length > 1) {
    throw new RangeError(`${name} cannot combine 'none' with other exporters (got ${quote(value.join(','))})`);
  }
  return result;
}

function ringCapacity(value: unknown): number {
  const name = 'options.ringCapacity';
  integerIn(name, value, MIN_RING_CAPACITY, MAX_RING_CAPACITY);
  if (!isPowerOfTwo(value as number)) throw new RangeError(`${name} must be a power of two (got ${quote(value)})`);
  return value as number;
}

function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string (got ${quote(value)})`);
  if (value.length === 0 || value.length > 256) throw new RangeError(`${name} must be 1 to 256 characters long`);
  return value;
}

function flag(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean (got ${quote(value)})`);
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string (got ${quote(value)})`);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${quote(value)})`);
  }
  return value as T;
}

function httpUrl(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string (got ${quote(value)})`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`${name} must be an absolute http(s) URL (got ${quote(redact(value))})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RangeError(`${name} must use http: or https: (got ${quote(url.protocol)})`);
  }
  return value;
}

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

function headers(name: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object of header names to string values`);
  }
  const result: Record<string, string> = {};
  for (const [key, headerValue] of Object.entries(value)) {
    if (typeof headerValue !== 'string') {
      // The value may be a secret: name the header, never echo the value.
      throw new TypeError(`${name}[${JSON.stringify(key)}] must be a string`);
    }
    result[key] = headerValue;
  }
  return result;
}

function attributes(name: string, value: unknown): Record<string, ResourceAttributeValue> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${name} must be an object`);
  const result: Record<string, ResourceAttributeValue> = {};
  for (const [key, attribute] of Object.entries(value)) {
    if (typeof attribute !== 'string' && typeof attribute !== 'number' && typeof attribute !== 'boolean') {
      throw new TypeError(`${name}[${JSON.stringify(key)}] must be a string, number or boolean (got ${quote(attribute)})`);
    }
    result[key] = attribute;
  }
  return result;
}
