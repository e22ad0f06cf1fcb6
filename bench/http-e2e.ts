/**
 * End to end over real HTTP: the 20-route Hono app on @hono/node-server (one process per variant), loaded by
 * wrk (autocannon when wrk is absent; see lib/load.ts) with a fixed list of requests over 1,000 tenants (and, in a
 * group of its own, 10,000), 32 connections. Variants run in rotated order, round by round; ratios to the bare app
 * are taken within each round. Every collector runs on default options, exporting every 30 s, but for the variant
 * named for its 5 s interval. The two '+ DB' variants run one real PostgreSQL query per request (ringmeter's with
 * instrumentPostgres, with the request scope and, 'no scope', with the app's own resolver): compare them with each
 * other. Each variant's CPU per request (main thread, the busiest other thread, which is ringmeter's worker where
 * there is one, and the whole process) is reported with its gap to the empty middleware, paired round by round.
 * Then a sustained run of the ringmeter variant, exporting every 5 s to a local receiver: requests served must
 * equal http_requests_total exported, with no ring drops; the server's heap and RSS before and after (about a
 * million requests) and the CPU of its main thread and of the metrics worker are reported.
 */
import { exportIntervalOf, ROUTES, type MiddlewareVariant } from './lib/bench-app.js';
import { forkBenchChild, type BenchChild } from './lib/bench-child.js';
import { availableLoadTool, runLoad, wrkPinned, type LoadRequest, type LoadResult, type LoadTool } from './lib/load.js';
import { pairedGap, REPORTED_GAPS } from './lib/e2e-gap.js';
import type { E2eVariantResult, SustainedResult } from './lib/e2e-results.js';
import { e2eCpuTables } from './lib/e2e-table.js';
import { CountingReceiver } from './lib/receiver.js';
import { median, rotate } from './lib/rounds.js';
import { saveSection } from './lib/results.js';
import type { ServerReport } from './http-e2e-server.js';

/** Variants measured together, each group against its first variant, with the number of tenants its requests name. */
export interface E2eGroup {
  tenants: number;
  variants: MiddlewareVariant[];
}

/**
 * The database variants form their own group: fewer servers alive at once disturb each other less on a small
 * machine, and they compare with each other. At 10,000 tenants every tenant is new to the peers' registries and to
 * ringmeter's tenant slots (the default maxTenants) and memory bound.
 */
const GROUPS: E2eGroup[] = [
  {
    tenants: 1_000,
    variants: [
      'bare',
      'empty async middleware',
      'ringmeter',
      'ringmeter, export every 5 s',
      'ring write only (reference)',
      'ring floor (prototype + flat consumer)',
      '@hono/prometheus (tenant label)',
      '@hono/otel',
    ],
  },
  {
    tenants: 10_000,
    variants: [
      'bare',
      'empty async middleware',
      'ringmeter',
      'ringmeter, export every 5 s',
      '@hono/prometheus (tenant label)',
      '@hono/otel',
    ],
  },
  { tenants: 1_000, variants: ['bare + DB query', 'ringmeter + DB hook', 'ringmeter + DB hook, no scope'] },
];
const CONNECTIONS = 32;
/**
 * Rounds (fresh servers each) and measured windows per variant per round. This VM's speed drifts by a third over
 * tens of seconds: with 3 rounds of 3 windows of 2 s, the same variant's req/s spread 1.7× within one run. Many
 * short windows in rotated order, over 5 rounds, let every variant see the same drift.
 */
const ROUNDS = 5;
const PASSES = 6;
/** Seconds of load that warm each fresh server up (JIT, connections, ringmeter's worker start) before it is measured. */
const WARM_UP_SECONDS = 1;

/** The request list over `tenants` tenants, 20 routes in turn (built once per tenant count). */
const requestLists = new Map<number, LoadRequest[]>();
function requestsFor(tenants: number): LoadRequest[] {
  let list = requestLists.get(tenants);
  if (list === undefined) {
    list = Array.from({ length: tenants }, (_, i) => ({
      method: 'GET' as const,
      path: ROUTES[i % ROUTES.length].path,
      headers: { 'x-tenant-id': `tenant-${i}` },
    }));
    requestLists.set(tenants, list);
  }
  return list;
}

interface Server extends BenchChild {
  port: number;
}

/** Starts one variant's server; a ringmeter variant exports to `endpoint` every `exportIntervalMillis`. */
async function startServer(variant: MiddlewareVariant, endpoint: string, exportIntervalMillis: string): Promise<Server> {
  const script = new URL('./http-e2e-server.js', import.meta.url);
  const { process: server, ready } = await forkBenchChild<{ port: number }>(script, [variant, endpoint, exportIntervalMillis], 'listening');
  return { ...server, port: ready.port };
}

/** The load generator of this run: wrk when installed, else autocannon (see lib/load.ts); set by the entry point. */
let tool: LoadTool = 'autocannon';

/** The tool as the results name it: 'wrk on a core of its own' when it ran pinned (lib/load.ts). */
function loadToolLabel(): string {
  return tool === 'wrk' && wrkPinned() ? 'wrk on a core of its own' : tool;
}

function load(port: number, seconds: number, requests: readonly LoadRequest[]): Promise<LoadResult> {
  return runLoad(tool, { port, connections: CONNECTIONS, seconds, requests });
}

/** One measured window against a running server: CPU marks around `seconds` of load. */
async function measure(
  variant: MiddlewareVariant,
  server: Server,
  seconds: number,
  requests: readonly LoadRequest[],
): Promise<{ result: LoadResult; report: ServerReport }> {
  await server.ask({ type: 'mark' }, 'marked');
  const result = await load(server.port, seconds, requests);
  const { report } = await server.ask<{ report: ServerReport }>({ type: 'report' }, 'report');
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${variant}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  return { result, report };
}

interface ComparisonOptions {
  /** At least 3. [default: ROUNDS] */
  rounds?: number;
  /** Load per variant per round, in seconds, split into `passes` windows of whole seconds. [default: 6] */
  seconds?: number;
  /** [default: PASSES] */
  passes?: number;
  /** [default: GROUPS] */
  groups?: E2eGroup[];
}

interface RoundRow {
  rps: number;
  p50: number;
  p99: number;
  served: number;
  /** CPU seconds in the round's windows (main undefined off Linux). */
  mainSeconds: number | undefined;
  processSeconds: number;
  workerSeconds: number;
}

/**
 * Each round starts a fresh server per variant (a process can be lastingly faster or slower than another: memory
 * layout, JIT decisions; fresh processes keep that from favouring one variant in every round), warms them all up,
 * then loads them in short windows, `PASSES` times over in rotated order, so that a machine whose speed drifts
 * during the round shifts every variant alike. A variant's figure for the round sums its windows.
 */
export function useLoadTool(chosen: LoadTool): void {
  tool = chosen;
}

export async function runComparison(options: ComparisonOptions = {}): Promise<E2eVariantResult[]> {
  const results: E2eVariantResult[] = [];
  for (const group of options.groups ?? GROUPS) results.push(...(await runGroup(group, options)));
  return results;
}

async function runGroup({ tenants, variants }: E2eGroup, options: ComparisonOptions): Promise<E2eVariantResult[]> {
  const requests = requestsFor(tenants);
  // Every route, with a few tenants: the warm-up exercises every code path without the full list's set-up cost.
  const warmUpList = requests.slice(0, 2 * ROUTES.length);
  const rounds = Math.max(3, options.rounds ?? ROUNDS);
  // Both tools measure in whole seconds (autocannon runs a 0.6 s duration for 1 s), so windows are whole seconds and
  // req/s divides by the duration the tool reports, not the one asked for.
  const passes = options.passes ?? PASSES;
  const window = Math.max(1, Math.round((options.seconds ?? 6) / passes));
  const perRound = new Map<string, RoundRow[]>(variants.map((v) => [v, []]));
  // ringmeter variants export their final flush here, so that stopping a server costs no export retries.
  const receiver = new CountingReceiver();
  const endpoint = await receiver.start();
  for (let round = 0; round < rounds; round++) {
    const servers = await Promise.all(variants.map((variant) => startServer(variant, endpoint, exportIntervalOf(variant))));
    // Warm-up: JIT, connections, and ringmeter's worker start, outside every measured window.
    for (const server of servers) await load(server.port, WARM_UP_SECONDS, warmUpList);
    const windows = new Map<MiddlewareVariant, Array<{ result: LoadResult; report: ServerReport }>>(variants.map((v) => [v, []]));
    for (let pass = 0; pass < passes; pass++) {
      for (const variant of rotate(variants, round + pass)) {
        windows.get(variant)!.push(await measure(variant, servers[variants.indexOf(variant)], window, requests));
      }
    }
    for (const server of servers) await server.ask({ type: 'stop' }, 'stopped');
    for (const [variant, measured] of windows) {
      const served = measured.reduce((sum, m) => sum + m.report.served, 0);
      const mainCpu = measured.every((m) => m.report.mainCpuSeconds !== undefined)
        ? measured.reduce((sum, m) => sum + (m.report.mainCpuSeconds as number), 0)
        : undefined;
      perRound.get(variant)!.push({
        rps: measured.reduce((sum, m) => sum + m.result.requests, 0) / measured.reduce((sum, m) => sum + m.result.seconds, 0),
        p50: median(measured.map((m) => m.result.p50Millis)),
        p99: median(measured.map((m) => m.result.p99Millis)),
        served,
        mainSeconds: mainCpu,
        processSeconds: measured.reduce((sum, m) => sum + m.report.processCpuSeconds, 0),
        workerSeconds: measured.reduce((sum, m) => sum + m.report.busiestOtherThreadCpuSeconds, 0),
      });
    }
  }
  await receiver.stop();
  const baseline = perRound.get(variants[0])!;
  return variants.map((name) => {
    const rows = perRound.get(name)!;
    const rps = rows.map((row) => row.rps);
    const served = rows.reduce((sum, row) => sum + row.served, 0);
    const perRequest = (seconds: number, requests: number) => (seconds / requests) * 1e6;
    const mainKnown = rows.every((row) => row.mainSeconds !== undefined);
    return {
      name,
      baseline: variants[0],
      tenants,
      requestsPerSecond: { median: median(rps), min: Math.min(...rps), max: Math.max(...rps) },
      ratioToBare: median(rows.map((row, i) => row.rps / baseline[i].rps)),
      roundRatios: rows.map((row, i) => row.rps / baseline[i].rps),
      p50Millis: median(rows.map((row) => row.p50)),
      p99Millis: median(rows.map((row) => row.p99)),
      p99RatioToBare: median(rows.map((row, i) => row.p99 / baseline[i].p99)),
      mainCpuMicrosPerRequest: mainKnown
        ? perRequest(
            rows.reduce((sum, row) => sum + (row.mainSeconds as number), 0),
            served,
          )
        : undefined,
      processCpuMicrosPerRequest: perRequest(
        rows.reduce((sum, row) => sum + row.processSeconds, 0),
        served,
      ),
      workerCpuMicrosPerRequest: perRequest(
        rows.reduce((sum, row) => sum + row.workerSeconds, 0),
        served,
      ),
      roundCpu: rows.map((row) => ({
        main: row.mainSeconds === undefined ? undefined : perRequest(row.mainSeconds, row.served),
        worker: perRequest(row.workerSeconds, row.served),
        process: perRequest(row.processSeconds, row.served),
      })),
    };
  });
}

export async function runSustained(seconds: number): Promise<SustainedResult> {
  const receiver = new CountingReceiver();
  const endpoint = await receiver.start();
  const server = await startServer('ringmeter', endpoint, '5000');
  await server.ask({ type: 'mark' }, 'marked');
  const result = await load(server.port, seconds, requestsFor(1_000));
  const { report } = await server.ask<{ report: ServerReport }>({ type: 'report' }, 'report');
  const stopped = await server.ask<{ served: number; ring: { written: number; dropped: number } }>({ type: 'stop' }, 'stopped');
  await receiver.stop();
  const cpu = (type: string) => {
    const values = receiver.gauges.get(`app_cpu_usage_percent|${type}`) ?? [];
    return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
  };
  const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  return {
    seconds,
    served: stopped.served,
    exportedHttpRequests: receiver.httpRequestsTotal,
    ringDropped: stopped.ring.dropped,
    requestsPerSecond: result.requests / result.seconds,
    heapUsedBeforeMiB: mib(report.heapUsedBefore),
    heapUsedAfterMiB: mib(report.heapUsedAfter),
    rssBeforeMiB: mib(report.rssBefore),
    rssAfterMiB: mib(report.rssAfter),
    cpuPercent: { process: cpu('process'), main: cpu('main'), metricsWorker: cpu('metrics_worker') },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  // BENCH_LOAD=autocannon forces the fallback (to compare the tools, or where wrk misbehaves).
  useLoadTool(process.env.BENCH_LOAD === 'autocannon' ? 'autocannon' : availableLoadTool());
  // BENCH_E2E_VARIANTS='bare;empty async middleware;ringmeter' measures only that group (against its first) and skips
  // the sustained run: a short A/B of CPU µs per request while working on the request path.
  const only = process.env.BENCH_E2E_VARIANTS?.split(';').map((name) => name.trim()) as MiddlewareVariant[] | undefined;
  // BENCH_E2E_ROUNDS=10: more rounds than the default, for a paired comparison finer than the machine's drift.
  const rounds = process.env.BENCH_E2E_ROUNDS === undefined ? undefined : Number(process.env.BENCH_E2E_ROUNDS);
  const comparison = await runComparison({
    ...(quick ? { rounds: 3, seconds: 1, passes: 1 } : {}),
    ...(rounds !== undefined && Number.isInteger(rounds) && rounds >= 3 ? { rounds } : {}),
    // BENCH_E2E_TENANTS=10000: the tenants that group's requests name. [default: 1,000]
    ...(only ? { groups: [{ tenants: Number(process.env.BENCH_E2E_TENANTS ?? 1_000), variants: only }] } : {}),
  });
  console.log(`\nHTTP end to end (@hono/node-server, ${loadToolLabel()}, 32 connections)`);
  console.table(
    comparison.map((v) => ({
      variant: v.name,
      tenants: v.tenants,
      'req/s (median)': Math.round(v.requestsPerSecond.median),
      'min–max': `${Math.round(v.requestsPerSecond.min)}–${Math.round(v.requestsPerSecond.max)}`,
      '× baseline': `${Math.round(v.ratioToBare * 1000) / 1000} (${v.baseline})`,
      'p50 ms': Math.round(v.p50Millis * 1000) / 1000,
      'p99 ms': Math.round(v.p99Millis * 100) / 100,
    })),
  );
  console.log(e2eCpuTables(comparison).join('\n'));
  for (const { variant, reference, note } of REPORTED_GAPS) {
    const gap = pairedGap(comparison, variant, reference, 1_000);
    if (gap === undefined) continue;
    console.log(
      `${variant} below ${reference}, round by round: ${gap.byRound.map((g) => g.toFixed(3)).join(' ')}; median ${gap.median.toFixed(3)} (${note})`,
    );
  }
  if (only !== undefined) process.exit(0);
  const sustained = await runSustained(quick ? 3 : 60);
  console.log(
    `\nSustained ${sustained.seconds} s with ringmeter exporting every 5 s: served ${sustained.served}, exported http_requests_total ${sustained.exportedHttpRequests}, ring drops ${sustained.ringDropped}`,
  );
  console.log(
    `  heap ${sustained.heapUsedBeforeMiB} → ${sustained.heapUsedAfterMiB} MiB, RSS ${sustained.rssBeforeMiB} → ${sustained.rssAfterMiB} MiB; CPU % process ${sustained.cpuPercent.process.toFixed(1)}, main thread ${sustained.cpuPercent.main.toFixed(1)}, metrics worker ${sustained.cpuPercent.metricsWorker.toFixed(1)}`,
  );
  saveSection('http-e2e', { loadTool: loadToolLabel(), comparison, sustained });
  if (sustained.served !== sustained.exportedHttpRequests || sustained.ringDropped !== 0) {
    console.error('sustained run: requests served and exported differ, or records were dropped');
    process.exitCode = 1;
  }
}
