import { TEST_HOOKS } from './contract/test-hooks.js';
import { type LiveWorkerSettings, otlpTargetChanged } from './contract/worker-config.js';
import { refuseUnknownOptions, type OptionNames } from './option-names.js';
import { COLLECTOR_OPTION_NAMES, resolveOptions, type CollectorOptions, type ResolvedOptions } from './options.js';

/**
 * What `collector.configure()` accepts: the options that can change on a running collector, typed from
 * CollectorOptions. The caps `maxTenants`, `maxRoutes` and `maxSqlTexts` may not grow past their values at
 * creation (the shared string table was sized from them).
 */
export type LiveOptions = Pick<
  CollectorOptions,
  | 'otlp'
  | 'exporters'
  | 'metrics'
  | 'maxTenants'
  | 'maxRoutes'
  | 'maxSqlTexts'
  | 'runtimeMetricsIntervalMillis'
  | 'workerHangMillis'
  | 'shutdownTimeoutMillis'
>;

/**
 * Which options configure() changes on a running collector. Every other option is fixed at creation: the rings,
 * the workers and the memory bounds are shared or sized once (workers, ringCapacity, maxSeries, maxMemoryBytes),
 * the resource names the series a backend already holds (serviceName, serviceInstanceId, resourceAttributes), every
 * aggregator was built with seriesIdleMillis, and handleSignals and env are read once, at creation.
 */
export const LIVE_OPTIONS: OptionNames<LiveOptions> = {
  otlp: true,
  exporters: true,
  metrics: true,
  maxTenants: true,
  maxRoutes: true,
  maxSqlTexts: true,
  runtimeMetricsIntervalMillis: true,
  workerHangMillis: true,
  shutdownTimeoutMillis: true,
};

/**
 * The options after `configure(patch)`, validated exactly as createCollector validates them (resolveOptions, the
 * same TypeError or RangeError naming the option), or a throw that changes nothing. Options outside LIVE_OPTIONS
 * are refused naming them; the caps may not grow past `started`. Every option not given keeps its current value
 * (nested ones too: `{ metrics: { db: false } }` leaves the other families as they are), and the environment is
 * not read again: what it gave at creation is already in `current`.
 */
export function reconfiguredOptions(current: ResolvedOptions, started: ResolvedOptions, patch: LiveOptions): ResolvedOptions {
  if (patch === null || typeof patch !== 'object') throw new TypeError('configure options must be an object');
  const fixed = Object.keys(patch).filter((name) => Object.hasOwn(COLLECTOR_OPTION_NAMES, name) && !Object.hasOwn(LIVE_OPTIONS, name));
  if (fixed.length > 0) {
    throw new TypeError(
      `options.${fixed.join(', options.')} cannot change on a running collector (${fixed.length === 1 ? 'it needs' : 'they need'} a restart); ` +
        `configure() changes ${Object.keys(LIVE_OPTIONS).join(', ')}`,
    );
  }
  refuseUnknownOptions('options', patch, LIVE_OPTIONS);
  const otlp = nested('options.otlp', patch.otlp);
  const metrics = nested('options.metrics', patch.metrics);
  const { testHooks, activity, ...kept } = current;
  // Every current value goes back through resolveOptions, so an option added later is kept without being listed here
  // (the activity thresholds are top-level options, grouped only once resolved).
  const next = resolveOptions({
    ...kept,
    ...activity,
    ...given(patch),
    otlp: { ...current.otlp, ...given(otlp) },
    metrics: { ...current.metrics, ...given(metrics) },
    env: {},
    [TEST_HOOKS]: testHooks,
  } as CollectorOptions);
  for (const cap of ['maxTenants', 'maxRoutes', 'maxSqlTexts'] as const) {
    if (next[cap] > started[cap]) {
      throw new RangeError(
        `options.${cap} cannot grow past its value at creation (${started[cap]}) on a running collector: ` +
          `the shared string table was sized from it (got ${next[cap]}; a larger cap needs a restart)`,
      );
    }
  }
  return next;
}

/** What a configure() call changes, and so who must act on it. */
export interface LiveChange {
  /** The workers' settings differ (otlp, exporters, metric families): every shard is told. */
  workers: boolean;
  /** The new OTLP endpoint is to be checked: the endpoint, headers or compression changed, or otlp joined the exporters. */
  check: boolean;
  /** The runtime sampler must start, stop or restart (metrics.runtime or runtimeMetricsIntervalMillis changed). */
  sampler: boolean;
}

export function liveChange(previous: ResolvedOptions, next: ResolvedOptions): LiveChange {
  const before = liveWorkerSettings(previous);
  const after = liveWorkerSettings(next);
  const target = otlpTargetChanged(before.otlp, after.otlp);
  return {
    workers: JSON.stringify(before) !== JSON.stringify(after),
    check: after.exporters.otlp && (target || !before.exporters.otlp),
    sampler:
      previous.metrics.runtime !== next.metrics.runtime ||
      (next.metrics.runtime && previous.runtimeMetricsIntervalMillis !== next.runtimeMetricsIntervalMillis),
  };
}

/** The part of a worker's config that configure() may change, from the options (fresh objects: never shared). */
export function liveWorkerSettings(options: ResolvedOptions): LiveWorkerSettings {
  return {
    otlp: { ...options.otlp, headers: { ...options.otlp.headers } },
    exporters: { otlp: options.exporters.includes('otlp'), console: options.exporters.includes('console') },
    families: { ...options.metrics },
  };
}

/** A nested options object of the patch (otlp, metrics), checked as resolveOptions checks it. */
function nested(name: string, value: unknown): object {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new TypeError(`${name} must be an object`);
  return value;
}

/** The fields actually given: one given as undefined keeps its value, as it would be defaulted at creation. */
function given(options: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
