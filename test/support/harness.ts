import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeEach } from 'vitest';
import type { Collector, CollectorOptions } from 'ringmeter';
import { createTestCollector, internals, SteeredClock, steeredTime } from 'ringmeter/internal';
import { OtlpReceiver, type ReceivedPoint } from './otlp-receiver.js';

/**
 * A collector wired to a fresh local receiver, with the process environment ignored and test hooks on. Runtime (app_*) metrics are
 * off unless asked for: their samples are ring records too, and most tests count records exactly.
 */
export async function startPipeline(
  options: CollectorOptions = {},
  setup: Parameters<typeof createTestCollector>[1] = {},
): Promise<{ collector: Collector; receiver: OtlpReceiver }> {
  const receiver = await new OtlpReceiver().start();
  const collector = createTestCollector(
    {
      serviceName: 'ringmeter-test',
      env: {},
      ...options,
      metrics: { runtime: false, ...options.metrics },
      otlp: { endpoint: receiver.url, exportIntervalMillis: 3_600_000, ...options.otlp },
    },
    setup,
  );
  return { collector, receiver };
}

/** A startPipeline of its own for each test of the describe block this is called in, shut down after it. */
export function pipelineForEach(options: CollectorOptions = {}): { collector: Collector; receiver: OtlpReceiver } {
  const pipeline = {} as { collector: Collector; receiver: OtlpReceiver };
  beforeEach(async () => {
    Object.assign(pipeline, await startPipeline(options));
  });
  afterEach(async () => {
    await pipeline.collector.shutdown();
    await pipeline.receiver.stop();
  });
  return pipeline;
}

/**
 * For tests that each start their own pipeline (call it in a describe block or at the top of a file): a
 * startPipeline whose collector and receiver are shut down after each test, a failed one too.
 */
export function pipelinesClosedAfterEach(
  shutdown: { timeoutMillis?: number } = {},
): (...args: Parameters<typeof startPipeline>) => ReturnType<typeof startPipeline> {
  const started: { collector: Collector; receiver: OtlpReceiver }[] = [];
  afterEach(async () => {
    for (const { collector, receiver } of started.splice(0)) {
      await collector.shutdown(shutdown).catch(() => {});
      await receiver.stop();
    }
  });
  return async (options, setup) => {
    const pipeline = await startPipeline(options, setup);
    started.push(pipeline);
    return pipeline;
  };
}

/** `count` requests GET /a 200 of tenant acme, 10 ms each. */
export function recordRequests(collector: Collector, count: number): void {
  for (let i = 0; i < count; i++)
    collector.recordHttp({ method: 'GET', route: '/a', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
}

/** The pool gauges the receiver got (db_connections_active and _idle), by label set. */
export function poolGauges(points: ReceivedPoint[]): { active: Record<string, number>; idle: Record<string, number> } {
  return { active: valuesByLabels(points, 'db_connections_active'), idle: valuesByLabels(points, 'db_connections_idle') };
}

/**
 * startPipeline on a steered time (contract/steered-clock.ts): the collector's supervisors and workers read a time
 * that moves only when the test calls `advance`, so that waits, deadlines and timeouts are exact at any load.
 */
export async function startSteeredPipeline(options: CollectorOptions = {}) {
  const time = steeredTime(Date.now());
  const { collector, receiver } = await startPipeline(options, { time });
  const view = new SteeredClock(time);
  const hooks = internals(collector).testHooks;
  return {
    collector,
    receiver,
    /** The steered time (ms since the epoch), as the collector's threads read it. */
    now: () => view.nowMillis(),
    /** Moves the time on by `millis`; resolves once every thread has fired the timers that fell due. */
    advance: (millis: number) => hooks.advanceClock(millis),
  };
}

/** http_requests_total per tenant_id at the receiver; points without tenant_id (the overflow series) under `__overflow__`. */
export function requestsByTenant(points: ReceivedPoint[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const point of pointsNamed(points, 'http_requests_total')) {
    const tenant = point.attributes.tenant_id;
    const key = typeof tenant === 'string' ? tenant : '__overflow__';
    totals.set(key, (totals.get(key) ?? 0) + (point.value ?? 0));
  }
  return totals;
}

export function pointsNamed(points: ReceivedPoint[], metric: string): ReceivedPoint[] {
  return points.filter((point) => point.metric === metric);
}

/** Sum of the values (or histogram counts) of every point of a metric whose attributes include `match`. */
export function total(points: ReceivedPoint[], metric: string, match: Record<string, unknown> = {}): number {
  return pointsNamed(points, metric)
    .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
    .reduce((sum, point) => sum + (point.type === 'histogram' ? (point.count ?? 0) : (point.value ?? 0)), 0);
}

/**
 * A metric's data points as `{ 'label=value,…': value }` (labels sorted; histograms give their count), summed per
 * label set: one exact expectation covers every series of the metric, and that there is no other.
 */
export function valuesByLabels(points: ReceivedPoint[], metric: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const point of pointsNamed(points, metric)) {
    const key = Object.entries(point.attributes)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, value]) => `${name}=${String(value)}`)
      .join(',');
    result[key] = (result[key] ?? 0) + (point.type === 'histogram' ? (point.count ?? 0) : (point.value ?? 0));
  }
  return result;
}

/** Runs `work` as the Hono middleware runs a request of `tenant`: the database hooks attribute its queries to it. */
export function asTenant<T>(collector: Collector, tenant: string, work: () => Promise<T>): Promise<T> {
  const hooks = internals(collector);
  return hooks.requestScope.run(hooks.labels.tenantId(tenant, 'asTenant'), work);
}

/**
 * What the backend received twice: data points of `requests` (accepted, in arrival order) whose data a later
 * accepted point carries again. A delta point's start time moves on only when its export is accepted, so two
 * accepted points of one series with the same start mean the first one's export timed out at the client after the
 * backend had taken it, and its data was sent again (delivery is at least once). Counters and histograms only.
 * `value`: their total for `metric` (as `total` sums it); `points`: how many there are, over every metric.
 */
export function resent(requests: readonly { points: ReceivedPoint[] }[], metric: string): { value: number; points: number } {
  const latest = new Map<string, ReceivedPoint>();
  let value = 0;
  let points = 0;
  for (const point of requests.flatMap((request) => request.points)) {
    if (point.type === 'gauge') continue;
    const key = `${point.metric} ${labelKey(point.attributes)} ${point.startTimeUnixNano}`;
    const earlier = latest.get(key);
    latest.set(key, point);
    if (earlier === undefined) continue;
    points++;
    if (earlier.metric === metric) value += earlier.type === 'histogram' ? (earlier.count ?? 0) : (earlier.value ?? 0);
  }
  return { value, points };
}

/** A stable key for a label set. */
export function labelKey(attributes: Record<string, unknown>): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Waits until `condition` holds (it may be async: an export polled), polling; fails after `timeoutMillis`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMillis = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Waits until the workers have read every record written so far (none left in the ring or its overflow): they have
 * started and drained, so that what a test times or races next does not include a worker's start, which takes
 * ~0.5 s on a quiet machine and seconds on a loaded one. Readiness polled, not guessed with a sleep.
 */
export async function drained(collector: Collector, timeoutMillis = 30_000): Promise<void> {
  await waitFor(
    () => {
      const { used, overflowRecords } = collector.stats().ring;
      return used === 0 && overflowRecords === 0;
    },
    timeoutMillis,
    'the workers to drain the ring',
  );
}

/**
 * Resolves once every worker of a test collector (createTestCollector, startPipeline) has started and answered on
 * its test port (a no-op call): a test that then configures, hangs or shuts the collector down never races a worker
 * still starting, which takes ~0.5 s on a quiet machine and seconds on a loaded one.
 */
export async function workersStarted(collector: Collector): Promise<void> {
  await internals(collector).testHooks.pauseWorkers(false);
}

/** A localhost TCP port that was free a moment ago, for a child process to listen on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
