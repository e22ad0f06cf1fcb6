import type { WorkerConfig } from '../../dist/src/contract/worker-config.js';
import { resolveOptions } from '../../dist/src/options/resolve.js';
import { waitFor } from './harness.js';
import type { SimulatedClock } from './simulated-clock.js';

/** The activity-pattern thresholds as createCollector resolves them by default. */
const DEFAULT_ACTIVITY: WorkerConfig['activity'] = resolveOptions({ env: {} }).activity;

/**
 * The worker config of a shard driven in-process by a test (one shard, small ring and tables, HTTP/DB/tenant
 * families on; no test port, so no test hooks): each test states only what it depends on.
 */
export function inProcessWorkerConfig(
  overrides: Omit<Partial<WorkerConfig>, 'otlp'> & { otlp?: Partial<WorkerConfig['otlp']> } = {},
): WorkerConfig {
  const { otlp, ...rest } = overrides;
  return {
    shard: 0,
    shards: 1,
    ringCapacity: 1_024,
    stringTableEntries: 64,
    tenantSlots: 0,
    resource: { 'service.name': 'ringmeter-test' },
    otlp: {
      endpoint: 'http://127.0.0.1:9/v1/metrics',
      headers: {},
      compression: 'gzip',
      protocol: 'http/protobuf',
      histogramAggregation: 'explicit_bucket_histogram',
      timeoutMillis: 2_000,
      exportIntervalMillis: 3_600_000,
      batchSize: 1_000,
      ...otlp,
    },
    maxSeries: 100,
    maxMemoryBytes: 1 << 20,
    seriesIdleMillis: 3_600_000,
    slowQueryMillis: 500,
    tenantRetentionMillis: 3_600_000,
    workerHangMillis: 10_000,
    metrics: { http: true, db: true, tenant: true, runtime: false },
    exporters: ['otlp'],
    activity: { ...DEFAULT_ACTIVITY },
    ...rest,
  };
}

/** Settles `outcome`, firing the clock's timers whenever the shard waits on nothing but them. */
export async function onSimulatedTime<T>(clock: SimulatedClock, outcome: Promise<T>): Promise<T> {
  let settled = false;
  const tracked = outcome.finally(() => {
    settled = true;
  });
  while (!settled) {
    // Real HTTP runs on real time: wait for it, then move simulated time on to the next timer.
    await waitFor(() => settled || clock.pending > 0, 10_000, 'the shard to wait on its clock');
    if (!settled) await clock.fireNext();
  }
  return tracked;
}
