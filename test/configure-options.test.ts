import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { internals, steeredTime } from 'ringmeter/internal';
import { pipelinesClosedAfterEach, startPipeline, waitFor, workersStarted } from './support/harness.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';

/**
 * configure()'s validation, one case per message, each the message createCollector gives for the same value; and
 * the live options that act on the main thread only (workerHangMillis, shutdownTimeoutMillis).
 */

const startOwnPipeline = pipelinesClosedAfterEach({ timeoutMillis: 2_000 });

async function running(
  options: Parameters<typeof startPipeline>[0] = {},
  setup: Parameters<typeof startPipeline>[1] = {},
): Promise<Collector> {
  const { collector } = await startOwnPipeline(options, setup);
  // Readiness polled, not raced: no test configures, hangs or shuts down a worker that is still starting.
  await workersStarted(collector);
  return collector;
}

const LIVE =
  'otlp, exporters, metrics, maxTenants, maxRoutes, maxSqlTexts, runtimeMetricsIntervalMillis, workerHangMillis, shutdownTimeoutMillis';

describe('configure() validation: the message createCollector gives, and nothing changes', () => {
  const cases: [string, Record<string, unknown>, Error][] = [
    ['metrics.http not a boolean', { metrics: { http: 'yes' } }, new TypeError('options.metrics.http must be a boolean (got "yes")')],
    ['metrics misspelt', { metrics: { htp: true } }, new TypeError('options.metrics.htp is not an option (did you mean http?)')],
    ['metrics not an object', { metrics: 5 }, new TypeError('options.metrics must be an object')],
    ['otlp not an object', { otlp: 'http://x' }, new TypeError('options.otlp must be an object')],
    [
      'an unknown exporter',
      { exporters: ['logging'] },
      new RangeError(`options.exporters must be one of 'otlp', 'console', 'prometheus', 'none' (got "logging")`),
    ],
    [
      "'none' with another exporter",
      { exporters: ['none', 'console'] },
      new RangeError(`options.exporters cannot combine 'none' with other exporters (got "none,console")`),
    ],
    [
      'exporters not an array',
      { exporters: 'console' },
      new TypeError('options.exporters must be an array of exporter names (got "console")'),
    ],
    [
      'runtimeMetricsIntervalMillis out of range',
      { runtimeMetricsIntervalMillis: 50 },
      new RangeError('options.runtimeMetricsIntervalMillis must be an integer from 100 to 86400000 (got 50)'),
    ],
    ['workerHangMillis not a number', { workerHangMillis: '1s' }, new TypeError('options.workerHangMillis must be a number (got "1s")')],
    [
      'shutdownTimeoutMillis out of range',
      { shutdownTimeoutMillis: 0 },
      new RangeError('options.shutdownTimeoutMillis must be an integer from 1 to 3600000 (got 0)'),
    ],
    [
      'otlp.exportIntervalMillis out of range',
      { otlp: { exportIntervalMillis: 99 } },
      new RangeError('options.otlp.exportIntervalMillis must be an integer from 100 to 86400000 (got 99)'),
    ],
    [
      'an option that needs a restart',
      { serviceName: 'renamed' },
      new TypeError(`options.serviceName cannot change on a running collector (it needs a restart); configure() changes ${LIVE}`),
    ],
    ['a misspelt option', { exporter: ['console'] }, new TypeError('options.exporter is not an option (did you mean exporters?)')],
    ['not an object', null as unknown as Record<string, unknown>, new TypeError('configure options must be an object')],
  ];

  // One collector for every case: a refused call changes nothing, so the cases cannot disturb each other.
  let shared: { collector: Collector; receiver: OtlpReceiver };
  beforeAll(async () => {
    shared = await startPipeline();
    // The cases take milliseconds: without this, afterAll's shutdown (2 s) could come while the worker is still
    // starting on a loaded machine, and fail for that alone.
    await workersStarted(shared.collector);
  });
  afterAll(async () => {
    await shared.collector.shutdown({ timeoutMillis: 2_000 });
    await shared.receiver.stop();
  });

  it.each(cases)('%s', async (_name, patch, error) => {
    const target = shared.collector;
    const before = target.options;
    await expect(target.configure(patch as never)).rejects.toThrow(error);
    expect(await target.configure(patch as never).catch((e: unknown) => (e as Error).constructor)).toBe(error.constructor);
    expect(target.options).toBe(before);
  });
});

describe('configure() of the options the main thread acts on', () => {
  it('keeps every option not given, nested families included', async () => {
    const target = await running();
    const before = target.options;
    await target.configure({ metrics: { db: false }, shutdownTimeoutMillis: 1_234 });
    expect(target.options).toEqual({ ...before, metrics: { ...before.metrics, db: false }, shutdownTimeoutMillis: 1_234 });
  });

  it('keeps options given at creation that configure() does not take, the activity thresholds included', async () => {
    const target = await running({ highVolumeRequestsPerHour: 5_000, burstShare: 0.5, tenantRetentionMillis: 60_000 });
    const before = target.options;
    await target.configure({ shutdownTimeoutMillis: 1_234 });
    expect(target.options).toEqual({ ...before, shutdownTimeoutMillis: 1_234 });
    expect(target.options.activity).toMatchObject({ highVolumeRequestsPerHour: 5_000, burstShare: 0.5 });
    expect(target.options.tenantRetentionMillis).toBe(60_000);
  });

  it('workerHangMillis: a hung worker is replaced within the new bound, not the one it started with (10 s)', async () => {
    const target = await running();
    await target.configure({ workerHangMillis: 200 });
    // A flush answered: the worker has run drain passes (beaten), so it is past its start-up grace.
    await target.flush();
    await internals(target).testHooks.hangWorker(0);
    await waitFor(() => target.stats().workers.restarts === 1, 4_000, 'the hung worker replaced within 200 ms (+ polling)');
    await waitFor(() => target.stats().workers.running === 1, 4_000, 'the replacement running');
    target.recordHttp({ method: 'GET', route: '/after-hang', statusCode: 200, durationSeconds: 0.001 });
    await target.flush();
  });

  it('workerHangMillis lowered to 300 ms: an idle worker, asleep up to 400 ms under the old bound, is not taken for hung', async () => {
    // On a steered time: the hang watch and the worker's sleeps see the same time, whatever a loaded machine does
    // to real timers (a timer 300 ms late would be a hang on real time). Moved in 25 ms steps, each firing the main
    // thread's timers and then the worker's: a beat is at most a step late.
    const target = await running({}, { time: steeredTime(Date.now()) });
    const idle = async (millis: number) => {
      for (let moved = 0; moved < millis; moved += 25) await internals(target).testHooks.advanceClock(25);
    };
    await target.flush();
    // Idle for a while: the worker's sleep grows to its cap under the 10 s bound (drain-pacing.ts).
    await idle(1_000);
    // Below the old idle cap (400 ms): without the count restarted at the change and the worker's beat on the
    // configure message, the sleep in progress would reach the new bound.
    await target.configure({ workerHangMillis: 300 });
    await idle(1_000);
    expect(target.stats().workers.restarts).toBe(0);
    target.recordHttp({ method: 'GET', route: '/idle-then-lowered', statusCode: 200, durationSeconds: 0.001 });
    await target.flush();
    expect(target.stats().workers.restarts).toBe(0);
  });
});
