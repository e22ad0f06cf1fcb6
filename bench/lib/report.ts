import type { ExportRow } from '../export.js';
import { renderBarChart, type Panel } from './chart.js';
import { encodeSection } from './encode-report.js';
import { pairedGap, REPORTED_GAPS } from './e2e-gap.js';
import { e2eCpuTables } from './e2e-table.js';
import type { E2eVariantResult, SustainedResult } from './e2e-results.js';
import type { IdleCost } from '../idle-cost.js';
import type { PostgresOverheadResult } from '../postgres-overhead.js';
import type { RunInfo } from './results.js';
import type { Comparison } from './rounds.js';
import { round } from './rounds.js';

interface Latest {
  run: RunInfo;
  durationSeconds: number;
  quick: boolean;
  sections: Record<string, unknown>;
}

function comparisonTable(comparison: Comparison, unit: 'ns' | 'µs'): string {
  const scale = unit === 'ns' ? 1 : 1_000;
  const lines = [
    `| variant | median ${unit}/op | min–max ${unit} | × ${comparison.baseline} | + ${unit} over ${comparison.baseline} |`,
    '|---|---:|---:|---:|---:|',
    ...comparison.variants.map(
      (v) =>
        `| ${v.name} | ${round(v.medianNanos / scale)} | ${round(v.minNanos / scale)}–${round(v.maxNanos / scale)} | ${round(v.ratioToBaseline)} | ${round(v.addedNanos / scale)} |`,
    ),
  ];
  return lines.join('\n');
}

/** The markdown summary of a run: what docs/benchmarks.md quotes. */
export function renderMarkdown(latest: Latest): string {
  const { run, sections } = latest;
  const parts = [
    `# Benchmark run ${run.date.slice(0, 10)}`,
    '',
    `Node ${run.node}, ${run.cores} cores (${run.cpu}), ${run.memoryGiB} GiB. Took ${latest.durationSeconds} s.${latest.quick ? ' QUICK MODE: figures are meaningless.' : ''}`,
  ];
  const record = sections['record-call'] as
    | { comparison: Comparison; heapBytesPerRecord: number; droppedWhileTimed: number; dropped: number }
    | undefined;
  if (record) {
    parts.push(
      '',
      '## Record call',
      '',
      comparisonTable(record.comparison, 'ns'),
      '',
      `Main-thread heap growth: ${record.heapBytesPerRecord.toFixed(3)} bytes per record (1,000,000 calls, after GC). Ring drops: ${record.droppedWhileTimed} while timing (each timed batch first waits, untimed, until the ring has room for it), ${record.dropped} during the heap run.`,
    );
  }
  const hono = sections['hono-overhead'] as Comparison | undefined;
  if (hono) {
    parts.push('', '## Hono middleware (in-process app.request)', '', comparisonTable(hono, 'µs'));
  }
  const nodeServer = sections['node-server-overhead'] as Comparison | undefined;
  if (nodeServer) {
    parts.push(
      '',
      '## Middleware on @hono/node-server, in-memory connections (main-thread CPU per request)',
      '',
      comparisonTable(nodeServer, 'µs'),
    );
  }
  const e2e = sections['http-e2e'] as { loadTool?: string; comparison: E2eVariantResult[]; sustained: SustainedResult } | undefined;
  if (e2e) {
    parts.push(
      '',
      `## HTTP end to end (@hono/node-server, ${e2e.loadTool ?? 'autocannon'}, 32 connections)`,
      '',
      '| variant | req/s median | min–max | × baseline | × baseline by round, min–max | p50 ms | p99 ms | main-thread CPU µs/req | process CPU µs/req | busiest other thread µs/req |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...e2e.comparison.map(
        (v) =>
          `| ${v.name}${(v.tenants ?? 1_000) === 1_000 ? '' : ` (${v.tenants?.toLocaleString('en-US')} tenants)`} | ${Math.round(v.requestsPerSecond.median)} | ${Math.round(v.requestsPerSecond.min)}–${Math.round(v.requestsPerSecond.max)} | ${round(v.ratioToBare)} (${v.baseline}) | ${ratioRange(v.roundRatios)} | ${round(v.p50Millis)} | ${round(v.p99Millis)} | ${v.mainCpuMicrosPerRequest === undefined ? '–' : round(v.mainCpuMicrosPerRequest)} | ${round(v.processCpuMicrosPerRequest)} | ${v.workerCpuMicrosPerRequest === undefined ? '–' : round(v.workerCpuMicrosPerRequest)} |`,
      ),
    );
    parts.push(...e2eCpuTables(e2e.comparison));
    for (const { variant, reference, note } of REPORTED_GAPS) {
      const gap = pairedGap(e2e.comparison, variant, reference, 1_000);
      if (gap === undefined) continue;
      parts.push(
        '',
        `${variant} below ${reference}, paired round by round: ${gap.byRound.map((g) => g.toFixed(3)).join(', ')}; median **${gap.median.toFixed(3)}** (${note}).`,
      );
    }
    const s = e2e.sustained;
    parts.push(
      '',
      `Sustained ${s.seconds} s with ringmeter exporting every 5 s: ${s.served} requests served, ${s.exportedHttpRequests} exported in http_requests_total, ${s.ringDropped} ring drops; ` +
        `${Math.round(s.requestsPerSecond)} req/s. Server heap ${s.heapUsedBeforeMiB} → ${s.heapUsedAfterMiB} MiB, RSS ${s.rssBeforeMiB} → ${s.rssAfterMiB} MiB. ` +
        `CPU (ringmeter's own app_cpu_usage_percent, mean): process ${round(s.cpuPercent.process)} %, main thread ${round(s.cpuPercent.main)} %, metrics worker ${round(s.cpuPercent.metricsWorker)} %.`,
    );
  }
  const idle = sections['idle-cost'] as IdleCost[] | undefined;
  if (idle) {
    parts.push(
      '',
      `## Idle cost (nothing recorded; CPU ms per second over ${idle[0]?.seconds} s, the variants side by side)`,
      '',
      '| variant | main thread | busiest other thread | process |',
      '|---|---:|---:|---:|',
      ...idle.map(
        (r) =>
          `| ${r.variant} | ${round(r.mainMillisPerSecond)} | ${round(r.workerMillisPerSecond)} | ${round(r.processMillisPerSecond)} |`,
      ),
    );
  }
  const instructions = sections['process-instructions'] as ProcessInstructions | undefined;
  if (instructions?.results) parts.push('', ...processInstructionsSection(instructions));
  const aggregation = sections.aggregation as { comparison: Comparison } | undefined;
  if (aggregation) {
    parts.push(
      '',
      '## Worker aggregation',
      '',
      '| workload | median M records/s | best round M records/s |',
      '|---|---:|---:|',
      ...aggregation.comparison.variants.map((v) => `| ${v.name} | ${round(1e3 / v.medianNanos)} | ${round(1e3 / v.minNanos)} |`),
    );
  }
  const memory = sections['series-memory'] as Array<{ implementation: string; series: number; bytesPerSeries: number }> | undefined;
  if (memory) {
    parts.push(
      '',
      '## Memory per histogram series',
      '',
      '| implementation | series | bytes per series |',
      '|---|---:|---:|',
      ...memory.map((m) => `| ${m.implementation} | ${m.series.toLocaleString('en')} | ${Math.round(m.bytesPerSeries)} |`),
    );
  }
  const exported = sections.export as ExportRow[] | undefined;
  if (Array.isArray(exported) && exported.length > 0) {
    parts.push(
      '',
      '## Export: the worker thread CPU per data point',
      '',
      '| series | protocol | data points | requests | gzip KiB | worker µs/point | other threads µs/point (gzip) | wall ms |',
      '|---:|---|---:|---:|---:|---:|---:|---:|',
      ...exported.map(
        (r) =>
          `| ${r.series.toLocaleString('en')} | ${r.protocol} | ${r.dataPoints.toLocaleString('en')} | ${r.requests} | ${r.wireKiB} | ${r.workerMicrosPerPoint} | ${r.otherThreadsMicrosPerPoint} | ${r.medianWallMillis} |`,
      ),
    );
  }
  const encode = sections.encode as Parameters<typeof encodeSection>[0] | undefined;
  if (encode) parts.push('', ...encodeSection(encode));
  const postgresOverhead = sections['postgres-overhead'] as PostgresOverheadResult | undefined;
  if (postgresOverhead) parts.push('', ...postgresOverheadSection(postgresOverhead));
  return `${parts.join('\n')}\n`;
}

/** The chart docs/benchmarks.md embeds: added cost per request in-process, and throughput over real HTTP. */
export function renderChart(latest: Latest): string {
  const panels: Panel[] = [];
  const hono = latest.sections['hono-overhead'] as Comparison | undefined;
  if (hono) {
    panels.push({
      title: 'Added cost per request over the bare app (in-process app.request, median)',
      unit: 'µs',
      bars: hono.variants
        .filter((v) => v.name !== hono.baseline)
        .map((v) => ({ label: v.name, value: v.addedNanos / 1000, highlight: v.name === 'ringmeter' })),
    });
  }
  const e2e = latest.sections['http-e2e'] as { comparison: E2eVariantResult[] } | undefined;
  if (e2e) {
    panels.push({
      title: 'Throughput over real HTTP, 1,000 tenants, as a share of the bare app (the + DB variants: of bare + DB query)',
      unit: '×',
      reference: 1,
      bars: e2e.comparison
        .filter((v) => (v.tenants ?? 1_000) === 1_000)
        .map((v) => ({ label: v.name, value: v.ratioToBare, highlight: v.name.startsWith('ringmeter') })),
    });
  }
  const { run } = latest;
  return renderBarChart(
    'ringmeter: cost per request against the peers',
    `${run.date.slice(0, 10)} · Node ${run.node} · ${run.cores} cores (${run.cpu})${latest.quick ? ' · QUICK MODE, not a measurement' : ''}`,
    panels,
  );
}

function postgresOverheadSection(result: PostgresOverheadResult): string[] {
  const lines = ['## postgres.js wrapper (instrumentPostgres)', ''];
  if (result.isolatedCpu && result.overheadNanos) {
    lines.push(
      'Main-thread CPU per query, stand-in connection (no I/O):',
      '',
      '| variant | median CPU ns/query | min–max ns |',
      '|---|---:|---:|',
      ...result.isolatedCpu.map(
        (v) => `| ${v.name} | ${round(v.medianNanos)} | ${round(Math.min(...v.perRoundNanos))}–${round(Math.max(...v.perRoundNanos))} |`,
      ),
      '',
      `Wrapper overhead (median of per-round differences): unsafe() ${round(result.overheadNanos.unsafe)} ns, tagged template ${round(result.overheadNanos.tagged)} ns per query (target ≤ 1000 ns).`,
      '',
    );
  }
  lines.push(
    'Same batches, wall time:',
    '',
    comparisonTable(result.isolatedWall, 'ns'),
    '',
    'Real server, 100 concurrent parameterised queries, max 10 connections, wall time:',
    '',
    comparisonTable(result.server, 'µs'),
    '',
    `Queries/s: bare ${Math.round(result.queriesPerSecond.bare)}, wrapped ${Math.round(result.queriesPerSecond.wrapped)}.`,
  );
  if (result.serverCpu) {
    const [bare, wrapped] = result.serverCpu.perQuery;
    lines.push(
      `Main-thread CPU per real query: ${bare.name} ${round(bare.medianNanos / 1000)} µs, ${wrapped.name} ${round(wrapped.medianNanos / 1000)} µs (median per-round difference ${round(result.serverCpu.overheadNanos)} ns).`,
    );
  }
  return lines;
}

/** A variant's per-round ratios as a range ('–' for results saved before rounds were kept). */
function ratioRange(ratios: readonly number[] | undefined): string {
  if (ratios === undefined || ratios.length === 0) return '–';
  return `${round(Math.min(...ratios))}–${round(Math.max(...ratios))}`;
}

/** The process-instructions section (bench/process-instructions.ts): absent without valgrind. */
interface ProcessInstructions {
  sizes: { requests: number; idleMillis: number };
  statedRate: number;
  results?: Array<{
    variant: string;
    perRequest: Record<string, number>;
    netPerRequest: Record<string, number>;
    idlePerSecond: Record<string, number>;
    collections: { scavengesPerThousand: number; otherPerThousand: number };
  }>;
}

function processInstructionsSection({ sizes, statedRate, results = [] }: ProcessInstructions): string[] {
  const kinds = Object.keys(results[0]?.perRequest ?? {});
  const cells = (byKind: Record<string, number>) => [
    ...kinds.map((kind) => byKind[kind]),
    kinds.reduce((total, kind) => total + byKind[kind], 0),
  ];
  const thousands = (value: number) => Math.round(value).toLocaleString('en-US');
  return [
    `## Instructions per request, every thread (callgrind, ${sizes.requests.toLocaleString('en-US')} requests; load-independent)`,
    '',
    `Net of the timers (their cost per second with no request, below, times the phase's wall time); the timers at ${statedRate.toLocaleString('en-US')} requests/s add their rate over ${statedRate.toLocaleString('en-US')}.`,
    '',
    `| variant | ${kinds.join(' | ')} | process | timers: process instructions/s | main-thread scavenges per 1,000 requests |`,
    `|---|${kinds.map(() => '---:|').join('')}---:|---:|---:|`,
    ...results.map(
      (r) =>
        `| ${r.variant} | ${cells(r.netPerRequest).map(thousands).join(' | ')} | ${thousands(cells(r.idlePerSecond).at(-1) ?? 0)} | ${r.collections.scavengesPerThousand.toFixed(1)} |`,
    ),
  ];
}
