import { describe, expect, it } from 'vitest';
import { createCollector, type CollectorOptions } from 'ringmeter';
import { resolveOptions } from 'ringmeter/internal';

/** Expects createCollector to throw `type` with exactly `message`; shuts down a collector created by mistake. */
function expectRefused(options: unknown, type: typeof TypeError | typeof RangeError, message: string): void {
  let error: unknown;
  try {
    const collector = createCollector(options as CollectorOptions);
    void collector.shutdown().catch(() => {});
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toBe(message);
}

const env = {};

describe('createCollector option validation: one case per message', () => {
  const cases: Array<[string, unknown, typeof TypeError | typeof RangeError, string]> = [
    ['options not an object', 42, TypeError, 'options must be an object'],
    ['env not an object', { env: 'x' }, TypeError, 'options.env must be an object'],
    ['otlp not an object', { env, otlp: 'x' }, TypeError, 'options.otlp must be an object'],
    ['metrics not an object', { env, metrics: true }, TypeError, 'options.metrics must be an object'],
    ['serviceName not a string', { env, serviceName: 7 }, TypeError, 'options.serviceName must be a string (got 7)'],
    ['serviceName empty', { env, serviceName: '' }, RangeError, 'options.serviceName must be 1 to 256 characters long'],
    [
      'serviceInstanceId too long',
      { env, serviceInstanceId: 'i'.repeat(257) },
      RangeError,
      'options.serviceInstanceId must be 1 to 256 characters long',
    ],
    ['resourceAttributes not an object', { env, resourceAttributes: [] }, TypeError, 'options.resourceAttributes must be an object'],
    [
      'resource attribute of a bad type',
      { env, resourceAttributes: { region: null } },
      TypeError,
      'options.resourceAttributes["region"] must be a string, number or boolean (got null)',
    ],
    ['endpoint not a string', { env, otlp: { endpoint: 4318 } }, TypeError, 'options.otlp.endpoint must be a string (got 4318)'],
    [
      'endpoint not a URL',
      { env, otlp: { endpoint: 'localhost:4318' } },
      RangeError,
      'options.otlp.endpoint must use http: or https: (got "localhost:")',
    ],
    [
      'endpoint not absolute',
      { env, otlp: { endpoint: '/v1/metrics' } },
      RangeError,
      'options.otlp.endpoint must be an absolute http(s) URL (got "/v1/metrics")',
    ],
    [
      'endpoint with a password is not echoed',
      { env, otlp: { endpoint: 'http://user:hunter2@[bad/v1' } },
      RangeError,
      'options.otlp.endpoint must be an absolute http(s) URL (got "http://user:***@[bad/v1")',
    ],
    [
      'headers not an object',
      { env, otlp: { headers: 'a=b' } },
      TypeError,
      'options.otlp.headers must be an object of header names to string values',
    ],
    [
      'header value not a string (never echoed)',
      { env, otlp: { headers: { authorization: 12345 } } },
      TypeError,
      'options.otlp.headers["authorization"] must be a string',
    ],
    ['compression not a string', { env, otlp: { compression: true } }, TypeError, 'options.otlp.compression must be a string (got true)'],
    [
      'compression unknown',
      { env, otlp: { compression: 'br' } },
      RangeError,
      "options.otlp.compression must be one of 'gzip', 'none' (got \"br\")",
    ],
    [
      'timeoutMillis not a number',
      { env, otlp: { timeoutMillis: '10s' } },
      TypeError,
      'options.otlp.timeoutMillis must be a number (got "10s")',
    ],
    [
      'timeoutMillis zero',
      { env, otlp: { timeoutMillis: 0 } },
      RangeError,
      'options.otlp.timeoutMillis must be an integer from 1 to 600000 (got 0)',
    ],
    [
      'exportIntervalMillis too small',
      { env, otlp: { exportIntervalMillis: 50 } },
      RangeError,
      'options.otlp.exportIntervalMillis must be an integer from 100 to 86400000 (got 50)',
    ],
    [
      'batchSize fractional',
      { env, otlp: { batchSize: 1.5 } },
      RangeError,
      'options.otlp.batchSize must be an integer from 1 to 1000000 (got 1.5)',
    ],
    ['workers zero', { env, workers: 0 }, RangeError, 'options.workers must be an integer from 1 to 64 (got 0)'],
    ['ringCapacity too small', { env, ringCapacity: 8 }, RangeError, 'options.ringCapacity must be an integer from 16 to 16777216 (got 8)'],
    ['ringCapacity not a power of two', { env, ringCapacity: 1000 }, RangeError, 'options.ringCapacity must be a power of two (got 1000)'],
    ['maxSeries NaN', { env, maxSeries: NaN }, RangeError, 'options.maxSeries must be an integer from 1 to 100000000 (got NaN)'],
    ['maxTenants negative', { env, maxTenants: -1 }, RangeError, 'options.maxTenants must be an integer from 1 to 10000000 (got -1)'],
    ['maxRoutes not a number', { env, maxRoutes: {} }, TypeError, 'options.maxRoutes must be a number (got object)'],
    ['maxSqlTexts zero', { env, maxSqlTexts: 0 }, RangeError, 'options.maxSqlTexts must be an integer from 1 to 1000000 (got 0)'],
    [
      'maxMemoryBytes too small',
      { env, maxMemoryBytes: 1024 },
      RangeError,
      'options.maxMemoryBytes must be an integer from 65536 to 1099511627776 (got 1024)',
    ],
    [
      'seriesIdleMillis too small',
      { env, seriesIdleMillis: 10 },
      RangeError,
      'options.seriesIdleMillis must be an integer from 100 to 1099511627776 (got 10)',
    ],
    [
      'tenantRetentionMillis not an integer',
      { env, tenantRetentionMillis: 1.5 },
      RangeError,
      'options.tenantRetentionMillis must be an integer from 100 to 1099511627776 (got 1.5)',
    ],
    [
      'tenantRetentionMillis not a number',
      { env, tenantRetentionMillis: '1d' },
      TypeError,
      'options.tenantRetentionMillis must be a number (got "1d")',
    ],
    [
      'slowQueryMillis zero',
      { env, slowQueryMillis: 0 },
      RangeError,
      'options.slowQueryMillis must be an integer from 1 to 3600000 (got 0)',
    ],
    ['slowQueryMillis not a number', { env, slowQueryMillis: '500' }, TypeError, 'options.slowQueryMillis must be a number (got "500")'],
    ['metrics flag not a boolean', { env, metrics: { db: 'yes' } }, TypeError, 'options.metrics.db must be a boolean (got "yes")'],
    [
      'runtimeMetricsIntervalMillis Infinity',
      { env, runtimeMetricsIntervalMillis: Infinity },
      RangeError,
      'options.runtimeMetricsIntervalMillis must be an integer from 100 to 86400000 (got Infinity)',
    ],
    [
      'workerHangMillis too small',
      { env, workerHangMillis: 1 },
      RangeError,
      'options.workerHangMillis must be an integer from 100 to 3600000 (got 1)',
    ],
    [
      'highVolumeRequestsPerHour zero',
      { env, highVolumeRequestsPerHour: 0 },
      RangeError,
      'options.highVolumeRequestsPerHour must be an integer from 1 to 1000000000 (got 0)',
    ],
    [
      'mediumVolumeRequestsPerHour not a number',
      { env, mediumVolumeRequestsPerHour: '100' },
      TypeError,
      'options.mediumVolumeRequestsPerHour must be a number (got "100")',
    ],
    [
      'mediumVolumeRequestsPerHour not below highVolumeRequestsPerHour',
      { env, highVolumeRequestsPerHour: 500, mediumVolumeRequestsPerHour: 500 },
      RangeError,
      'options.mediumVolumeRequestsPerHour must be below options.highVolumeRequestsPerHour (500) (got 500)',
    ],
    [
      'onboardingWindowMillis negative',
      { env, onboardingWindowMillis: -1 },
      RangeError,
      'options.onboardingWindowMillis must be an integer from 0 to 1099511627776 (got -1)',
    ],
    ['burstMinutes a whole hour', { env, burstMinutes: 60 }, RangeError, 'options.burstMinutes must be an integer from 1 to 59 (got 60)'],
    ['burstShare not a number', { env, burstShare: '0.8' }, TypeError, 'options.burstShare must be a number (got "0.8")'],
    ['burstShare zero', { env, burstShare: 0 }, RangeError, 'options.burstShare must be a number above 0 and at most 1 (got 0)'],
    [
      'burstMinIdleMinutes fractional',
      { env, burstMinIdleMinutes: 1.5 },
      RangeError,
      'options.burstMinIdleMinutes must be an integer from 0 to 59 (got 1.5)',
    ],
    [
      'steadyMinActiveMinutes zero',
      { env, steadyMinActiveMinutes: 0 },
      RangeError,
      'options.steadyMinActiveMinutes must be an integer from 1 to 60 (got 0)',
    ],
    ['a misspelt option', { env, serviceNmae: 'x' }, TypeError, 'options.serviceNmae is not an option (did you mean serviceName?)'],
    [
      'a misspelt otlp option',
      { env, otlp: { endpointt: 'http://x:4318' } },
      TypeError,
      'options.otlp.endpointt is not an option (did you mean endpoint?)',
    ],
    [
      'a misspelt metrics family',
      { env, metrics: { htpp: false } },
      TypeError,
      'options.metrics.htpp is not an option (did you mean http?)',
    ],
    [
      'a unit left off',
      { env, otlp: { timeout: 5_000 } },
      TypeError,
      'options.otlp.timeout is not an option (did you mean timeoutMillis?)',
    ],
    ['a case slip', { env, maxtenants: 5 }, TypeError, 'options.maxtenants is not an option (did you mean maxTenants?)'],
    [
      'an option nothing resembles',
      { env, metrics: { kafka: true } },
      TypeError,
      'options.metrics.kafka is not an option (valid options: http, db, tenant, runtime)',
    ],
    [
      'an odd option name is quoted',
      { env, 'service name': 'x' },
      TypeError,
      'options["service name"] is not an option (did you mean serviceName?)',
    ],
  ];
  for (const [what, options, type, message] of cases) {
    it(what, () => expectRefused(options, type, message));
  }
});

describe('otlp.endpoint as a base URL', () => {
  const endpointOf = (endpoint: string) => resolveOptions({ env, otlp: { endpoint } }).otlp.endpoint;

  it('gets /v1/metrics when it has no path, as OTEL_EXPORTER_OTLP_ENDPOINT does', () => {
    expect(endpointOf('http://127.0.0.1:4318')).toBe('http://127.0.0.1:4318/v1/metrics');
    expect(endpointOf('https://ingest.example.com/')).toBe('https://ingest.example.com/v1/metrics');
    expect(endpointOf('http://collector:4318/?tenant=a')).toBe('http://collector:4318/v1/metrics?tenant=a');
  });

  it('is used as it is when it has a path', () => {
    expect(endpointOf('http://collector:4318/v1/metrics')).toBe('http://collector:4318/v1/metrics');
    expect(endpointOf('http://gateway/otlp/metrics')).toBe('http://gateway/otlp/metrics');
  });

  it('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is used as it is, as the specification says', () => {
    expect(resolveOptions({ env: { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://collector:4318' } }).otlp.endpoint).toBe(
      'http://collector:4318',
    );
  });
});

describe('environment variable validation: the variable is named', () => {
  const cases: Array<[Record<string, string>, typeof TypeError | typeof RangeError, string]> = [
    [{ OTEL_METRIC_EXPORT_INTERVAL: 'soon' }, RangeError, 'OTEL_METRIC_EXPORT_INTERVAL must be a non-negative integer (got "soon")'],
    [{ OTEL_METRIC_EXPORT_INTERVAL: '10' }, RangeError, 'OTEL_METRIC_EXPORT_INTERVAL must be an integer from 100 to 86400000 (got 10)'],
    [{ METRICS_BATCH_SIZE: '0' }, RangeError, 'METRICS_BATCH_SIZE must be an integer from 1 to 1000000 (got 0)'],
    [{ METRICS_MAX_MEMORY: '-5' }, RangeError, 'METRICS_MAX_MEMORY must be a non-negative integer (got "-5")'],
    [{ TENANT_CLEANUP_INTERVAL: '5' }, RangeError, 'TENANT_CLEANUP_INTERVAL must be an integer from 100 to 1099511627776 (got 5)'],
    [{ CUSTOM_METRICS_INTERVAL: '1.5' }, RangeError, 'CUSTOM_METRICS_INTERVAL must be a non-negative integer (got "1.5")'],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: '0' }, RangeError, 'OTEL_EXPORTER_OTLP_TIMEOUT must be an integer from 1 to 600000 (got 0)'],
    [{ ENABLE_DB_METRICS: 'maybe' }, RangeError, 'ENABLE_DB_METRICS must be true, false, 1 or 0 (got "maybe")'],
    [{ ENABLE_API_METRICS: 'on' }, RangeError, 'ENABLE_API_METRICS must be true, false, 1 or 0 (got "on")'],
    [
      { OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'zstd' },
      RangeError,
      "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION must be one of 'gzip', 'none' (got \"zstd\")",
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'collector:4318' },
      RangeError,
      'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT must use http: or https: (got "collector:")',
    ],
    [
      { OTEL_EXPORTER_OTLP_HEADERS: 'api-key' },
      RangeError,
      "OTEL_EXPORTER_OTLP_HEADERS must be a list of key=value pairs (a pair has no '=')",
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'key=%E0%A4%A' },
      RangeError,
      'OTEL_EXPORTER_OTLP_METRICS_HEADERS holds a badly percent-encoded pair',
    ],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      RangeError,
      "OTEL_EXPORTER_OTLP_PROTOCOL 'grpc' is not supported: ringmeter exports OTLP over HTTP only; use 'http/protobuf' or 'http/json'",
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/xml' },
      RangeError,
      "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL must be one of 'http/protobuf', 'http/json' (got \"http/xml\")",
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'exponential' },
      RangeError,
      "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION must be one of 'explicit_bucket_histogram', 'base2_exponential_bucket_histogram' (got \"exponential\")",
    ],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'region' }, RangeError, "OTEL_RESOURCE_ATTRIBUTES must be a list of key=value pairs (a pair has no '=')"],
  ];
  for (const [variables, type, message] of cases) {
    it(`${Object.keys(variables)[0]}=${Object.values(variables)[0]}`, () => expectRefused({ env: variables }, type, message));
  }

  it('an explicit option wins over the variable, which is then not checked for range', () => {
    const options = resolveOptions({ env: { OTEL_METRIC_EXPORT_INTERVAL: '10' }, otlp: { exportIntervalMillis: 5_000 } });
    expect(options.otlp.exportIntervalMillis).toBe(5_000);
  });

  it('takes service.instance.id and service.name from the resource attributes, below their own option and variable', () => {
    const fromEnv = resolveOptions({ env: { OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-a,service.name=orders' } });
    expect([fromEnv.serviceInstanceId, fromEnv.serviceName]).toEqual(['pod-a', 'orders']);
    const fromOption = resolveOptions({
      env: { OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-a', OTEL_SERVICE_NAME: 'billing' },
      resourceAttributes: { 'service.instance.id': 'pod-b', 'service.name': 'ignored' },
    });
    expect([fromOption.serviceInstanceId, fromOption.serviceName]).toEqual(['pod-b', 'billing']);
    const explicit = resolveOptions({ env: { OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-a' }, serviceInstanceId: 'mine' });
    expect(explicit.serviceInstanceId).toBe('mine');
    expect(resolveOptions({ env: {} }).serviceInstanceId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads every documented variable', () => {
    const options = resolveOptions({
      env: {
        OTEL_SERVICE_NAME: 'billing',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=payments%20core',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'signoz-ingestion-key=abc%3D%3D',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
        OTEL_METRIC_EXPORT_INTERVAL: '15000',
        METRICS_BATCH_SIZE: '256',
        METRICS_MAX_MEMORY: '2097152',
        TENANT_CLEANUP_INTERVAL: '3600000',
        ENABLE_API_METRICS: 'true',
        ENABLE_DB_METRICS: '0',
        ENABLE_TENANT_METRICS: 'false',
        ENABLE_CUSTOM_METRICS: '1',
        CUSTOM_METRICS_INTERVAL: '5000',
      },
    });
    expect(options.serviceName).toBe('billing');
    expect(options.resourceAttributes).toEqual({ 'deployment.environment': 'prod', team: 'payments core' });
    expect(options.otlp).toEqual({
      endpoint: 'http://collector:4318/v1/metrics',
      headers: { 'signoz-ingestion-key': 'abc==' },
      compression: 'none',
      protocol: 'http/json',
      histogramAggregation: 'base2_exponential_bucket_histogram',
      timeoutMillis: 2500,
      exportIntervalMillis: 15_000,
      batchSize: 256,
    });
    expect(options.maxMemoryBytes).toBe(2_097_152);
    expect(options.tenantRetentionMillis).toBe(3_600_000);
    // seriesIdleMillis follows the tenant retention unless given.
    expect(options.seriesIdleMillis).toBe(3_600_000);
    expect(options.metrics).toEqual({ http: true, db: false, tenant: false, runtime: true });
    expect(options.runtimeMetricsIntervalMillis).toBe(5_000);
  });

  it('seriesIdleMillis follows tenantRetentionMillis unless given', () => {
    expect(resolveOptions({ env: {}, tenantRetentionMillis: 60_000 })).toMatchObject({
      tenantRetentionMillis: 60_000,
      seriesIdleMillis: 60_000,
    });
    expect(resolveOptions({ env: { TENANT_CLEANUP_INTERVAL: '3600000' }, seriesIdleMillis: 5_000 })).toMatchObject({
      tenantRetentionMillis: 3_600_000,
      seriesIdleMillis: 5_000,
    });
    expect(resolveOptions({ env: { TENANT_CLEANUP_INTERVAL: '3600000' }, tenantRetentionMillis: 1_000 })).toMatchObject({
      tenantRetentionMillis: 1_000,
      seriesIdleMillis: 1_000,
    });
  });

  it('fills in the documented defaults', () => {
    const options = resolveOptions({ env: {} });
    expect(options.serviceName).toBe('unknown_service:node');
    expect(options.otlp).toEqual({
      endpoint: 'http://localhost:4318/v1/metrics',
      headers: {},
      compression: 'gzip',
      protocol: 'http/protobuf',
      histogramAggregation: 'explicit_bucket_histogram',
      timeoutMillis: 10_000,
      exportIntervalMillis: 30_000,
      batchSize: 512,
    });
    expect(options).toMatchObject({
      workers: 1,
      ringCapacity: 16_384,
      maxSeries: 100_000,
      maxTenants: 10_000,
      maxRoutes: 2_000,
      maxSqlTexts: 1_000,
      maxMemoryBytes: 10_485_760,
      tenantRetentionMillis: 86_400_000,
      seriesIdleMillis: 86_400_000,
      slowQueryMillis: 500,
      runtimeMetricsIntervalMillis: 15_000,
      workerHangMillis: 10_000,
      metrics: { http: true, db: true, tenant: true, runtime: true },
      activity: {
        highVolumeRequestsPerHour: 1_000,
        mediumVolumeRequestsPerHour: 100,
        onboardingWindowMillis: 86_400_000,
        burstMinutes: 6,
        burstShare: 0.8,
        burstMinIdleMinutes: 30,
        steadyMinActiveMinutes: 45,
      },
    });
  });

  it('takes custom activity thresholds', () => {
    const options = resolveOptions({
      env: {},
      highVolumeRequestsPerHour: 10_000,
      mediumVolumeRequestsPerHour: 40,
      onboardingWindowMillis: 3_600_000,
      burstMinutes: 10,
      burstShare: 1,
      burstMinIdleMinutes: 0,
      steadyMinActiveMinutes: 60,
    });
    expect(options.activity).toEqual({
      highVolumeRequestsPerHour: 10_000,
      mediumVolumeRequestsPerHour: 40,
      onboardingWindowMillis: 3_600_000,
      burstMinutes: 10,
      burstShare: 1,
      burstMinIdleMinutes: 0,
      steadyMinActiveMinutes: 60,
    });
  });

  it('reads process.env when no env option is given', () => {
    const saved = process.env.OTEL_SERVICE_NAME;
    process.env.OTEL_SERVICE_NAME = 'from-process-env';
    try {
      expect(resolveOptions({}).serviceName).toBe('from-process-env');
      expect(resolveOptions({ env: {} }).serviceName).toBe('unknown_service:node');
    } finally {
      if (saved === undefined) delete process.env.OTEL_SERVICE_NAME;
      else process.env.OTEL_SERVICE_NAME = saved;
    }
  });
});

describe('exporters and OTEL_METRICS_EXPORTER', () => {
  const exportersOf = (options: CollectorOptions) => resolveOptions(options).exporters;

  it("defaults to ['otlp']", () => {
    expect(exportersOf({ env: {} })).toEqual(['otlp']);
  });

  it('reads the comma-separated variable, spaces and duplicates ignored, in the order given', () => {
    expect(exportersOf({ env: { OTEL_METRICS_EXPORTER: 'console, otlp,console' } })).toEqual(['console', 'otlp']);
    expect(exportersOf({ env: { OTEL_METRICS_EXPORTER: 'prometheus' } })).toEqual(['prometheus']);
    expect(exportersOf({ env: { OTEL_METRICS_EXPORTER: 'none' } })).toEqual(['none']);
  });

  it('the option wins over the variable, which is then not checked', () => {
    expect(exportersOf({ env: { OTEL_METRICS_EXPORTER: 'zipkin' }, exporters: ['console'] })).toEqual(['console']);
  });

  const cases: Array<[string, unknown, typeof TypeError | typeof RangeError, string]> = [
    ['not an array', { env: {}, exporters: 'otlp' }, TypeError, 'options.exporters must be an array of exporter names (got "otlp")'],
    ['empty', { env: {}, exporters: [] }, RangeError, "options.exporters must name at least one exporter (use 'none' to export nothing)"],
    [
      'an unknown name',
      { env: {}, exporters: ['otlp', 'zipkin'] },
      RangeError,
      "options.exporters must be one of 'otlp', 'console', 'prometheus', 'none' (got \"zipkin\")",
    ],
    ['not a string', { env: {}, exporters: [1] }, TypeError, 'options.exporters must be a string (got 1)'],
    [
      'none with another',
      { env: {}, exporters: ['none', 'console'] },
      RangeError,
      'options.exporters cannot combine \'none\' with other exporters (got "none,console")',
    ],
    [
      'an unknown name in the variable',
      { env: { OTEL_METRICS_EXPORTER: 'otlp,logging' } },
      RangeError,
      "OTEL_METRICS_EXPORTER must be one of 'otlp', 'console', 'prometheus', 'none' (got \"logging\")",
    ],
    [
      'an empty entry in the variable',
      { env: { OTEL_METRICS_EXPORTER: 'otlp,,console' } },
      RangeError,
      "OTEL_METRICS_EXPORTER must be one of 'otlp', 'console', 'prometheus', 'none' (got \"\")",
    ],
    [
      'none with another in the variable',
      { env: { OTEL_METRICS_EXPORTER: 'none,otlp' } },
      RangeError,
      'OTEL_METRICS_EXPORTER cannot combine \'none\' with other exporters (got "none,otlp")',
    ],
    ['a misspelt option name', { env: {}, exporter: ['otlp'] }, TypeError, 'options.exporter is not an option (did you mean exporters?)'],
  ];
  for (const [what, options, type, message] of cases) {
    it(what, () => expectRefused(options, type, message));
  }
});
