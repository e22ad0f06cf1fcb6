import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

/**
 * The end-to-end benchmark's load generator. wrk (C, one thread, epoll) when it is installed: it takes a fraction
 * of a core where autocannon, running in Node on the same two cores as the server, takes about as much CPU as the
 * server it loads, and so squeezes every variant's throughput and blurs their differences. autocannon otherwise.
 */
export type LoadTool = 'wrk' | 'autocannon';

export interface LoadRequest {
  method: 'GET';
  path: string;
  headers: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  /** The window as the tool measured it (autocannon rounds up to whole seconds), seconds. */
  seconds: number;
  p50Millis: number;
  p99Millis: number;
  non2xx: number;
  errors: number;
}

export interface LoadOptions {
  port: number;
  connections: number;
  /** Whole seconds: both tools measure in whole seconds. */
  seconds: number;
  requests: readonly LoadRequest[];
}

/** The tool this machine has: wrk if `wrk --version` runs, else autocannon. */
export function availableLoadTool(): LoadTool {
  try {
    // wrk prints its version and exits with status 1.
    execFileSync('wrk', ['--version'], { stdio: 'pipe' });
    return 'wrk';
  } catch (error) {
    return String((error as { stdout?: Buffer }).stdout ?? '').startsWith('wrk') ? 'wrk' : 'autocannon';
  }
}

export function runLoad(tool: LoadTool, options: LoadOptions): Promise<LoadResult> {
  return tool === 'wrk' ? runWrk(options) : runAutocannon(options);
}

/** Marks the one line of wrk's output that the script's done() writes. */
const RESULT_MARK = 'RINGMETER_WRK ';

/** Lua scripts already written, by request list (one per list, for the whole process). */
const scripts = new Map<readonly LoadRequest[], string>();

/**
 * A wrk script that sends the list in order, round and round (wrk.format builds each request once, at start), and
 * writes the totals as one JSON line; latencies in wrk's microseconds.
 */
function wrkScript(requests: readonly LoadRequest[]): string {
  const known = scripts.get(requests);
  if (known !== undefined) return known;
  const list = requests
    .map(
      (r) =>
        `{${JSON.stringify(r.method)},${JSON.stringify(r.path)},{${Object.entries(r.headers)
          .map(([k, v]) => `[${JSON.stringify(k)}]=${JSON.stringify(v)}`)
          .join(',')}}}`,
    )
    .join(',\n');
  const source = `local list = {\n${list}\n}
local built = {}
local n = 0
function init(args)
  for i, r in ipairs(list) do built[i] = wrk.format(r[1], r[2], r[3]) end
end
function request()
  n = n % #built + 1
  return built[n]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${RESULT_MARK}{"requests":%d,"micros":%d,"p50":%d,"p99":%d,"non2xx":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
`;
  const path = join(mkdtempSync(join(tmpdir(), 'ringmeter-wrk-')), 'requests.lua');
  writeFileSync(path, source);
  scripts.set(requests, path);
  return path;
}

/**
 * How wrk is started: on a core of its own when `taskset` is there and the machine has a core to spare. Left to
 * the scheduler, wrk's thread sometimes lands on the core of the server's main thread for a while, and the two
 * then share one core while the other idles: a window ran at 40,000 req/s or at 60,000 for the same variant. The
 * servers are not pinned: their main thread takes the other core, and their other threads (ringmeter's worker,
 * V8's) go where the scheduler finds room, as they would in production.
 */
let wrkCommand: string[] | undefined;

function wrkLauncher(): string[] {
  if (wrkCommand !== undefined) return wrkCommand;
  const lastCpu = availableParallelism() - 1;
  wrkCommand = ['wrk'];
  if (lastCpu >= 1) {
    try {
      execFileSync('taskset', ['-c', String(lastCpu), 'true'], { stdio: 'pipe' });
      wrkCommand = ['taskset', '-c', String(lastCpu), 'wrk'];
    } catch {
      // No taskset (or not allowed): wrk runs wherever the scheduler puts it.
    }
  }
  return wrkCommand;
}

/** Whether wrk runs pinned to a core of its own (reported with the results). */
export function wrkPinned(): boolean {
  return wrkLauncher()[0] === 'taskset';
}

function runWrk(options: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${options.connections}`, `-d${Math.max(1, Math.round(options.seconds))}s`, '-s', wrkScript(options.requests)];
  const [command, ...launch] = wrkLauncher();
  return new Promise((resolve, reject) => {
    execFile(command, [...launch, ...args, `http://127.0.0.1:${options.port}`], (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk failed: ${error.message} ${stderr}`));
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (line === undefined) return reject(new Error(`wrk printed no result: ${stdout}`));
      const r = JSON.parse(line.slice(RESULT_MARK.length)) as Record<string, number>;
      resolve({
        requests: r.requests,
        seconds: r.micros / 1e6,
        p50Millis: r.p50 / 1000,
        p99Millis: r.p99 / 1000,
        non2xx: r.non2xx,
        errors: r.errors,
      });
    });
  });
}

/**
 * autocannon prepares every request of the list for every connection before it starts (about 0.36 s for 1,000
 * requests × 32 connections) and runs for at least a second.
 */
function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${options.port}`,
        connections: options.connections,
        requests: options.requests as LoadRequest[],
        duration: Math.max(1, Math.round(options.seconds)),
      },
      (error, result) =>
        error
          ? reject(error)
          : resolve({
              requests: result.requests.total,
              seconds: result.duration,
              p50Millis: result.latency.p50,
              p99Millis: result.latency.p99,
              non2xx: result.non2xx,
              errors: result.errors,
            }),
    );
  });
}
