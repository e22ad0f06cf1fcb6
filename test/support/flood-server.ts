import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { CollectorStats } from 'ringmeter';
import type { ShardAnalytics } from '../../dist/src/contract/analytics.js';
import type { WorkerMemory } from '../../dist/src/contract/test-hooks.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tenant-flood-server.mjs', import.meta.url));

/** A process's own memory after a full GC (process.memoryUsage() of its main thread). */
export interface ProcessMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  arrayBuffers: number;
}

/** What the flood server answers to `measure`. */
export interface Measured {
  main: ProcessMemory;
  /** Each worker's own memory after a full GC, and what its budget accounts (none before `start`). */
  workers: WorkerMemory[];
  /** collector.stats() (undefined before `start`). */
  stats: CollectorStats;
}

type Answer =
  | ({ type: 'measured' } & Measured)
  | { type: 'started' }
  | { type: 'flushed' }
  | { type: 'recorded'; written: number }
  | { type: 'analyzed'; shards: ShardAnalytics[] }
  | { type: 'failed'; error: string }
  | { type: 'ready'; port: number };

/**
 * The memory-bound test's server (test/fixtures/tenant-flood-server.mjs) in a child process of its own, run with
 * --expose-gc: a Hono app on @hono/node-server, first without ringmeter (paths under /plain/), then, once started,
 * with honoMetrics and a collector at default options exporting to `otlpUrl`. Requests reach it over real sockets;
 * it measures itself on demand.
 */
export class FloodServer {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(otlpUrl: string): Promise<FloodServer> {
    const child = fork(FIXTURE, [], { execArgv: ['--expose-gc'], env: { ...process.env, FLOOD_OTLP: otlpUrl }, stdio: 'inherit' });
    const ready = await next(child);
    if (ready.type !== 'ready') throw new Error(`the flood server did not start: ${JSON.stringify(ready)}`);
    return new FloodServer(child, ready.port);
  }

  /** Makes the collector and the metered app. */
  async startCollector(): Promise<void> {
    await this.ask({ type: 'start' }, 'started');
  }

  async measure(): Promise<Measured> {
    return (await this.ask({ type: 'measure' }, 'measured')) as Measured;
  }

  async flush(): Promise<void> {
    await this.ask({ type: 'flush' }, 'flushed');
  }

  /** Records tenants × routes requests in the server with recordHttp; resolves with how many. */
  async grid(tenants: number, routes: number): Promise<number> {
    return ((await this.ask({ type: 'grid', tenants, routes }, 'recorded')) as { written: number }).written;
  }

  async analytics(): Promise<ShardAnalytics[]> {
    return ((await this.ask({ type: 'analytics' }, 'analyzed')) as { shards: ShardAnalytics[] }).shards;
  }

  /** GETs every `{ path, tenant }` over `concurrency` keep-alive connections; resolves with the statuses by path order. */
  async getAll(requests: readonly { path: string; tenant: string }[], concurrency = 32): Promise<number[]> {
    const statuses = new Array<number>(requests.length);
    let next = 0;
    const connection = async () => {
      while (next < requests.length) {
        const i = next++;
        statuses[i] = await this.get(requests[i].path, requests[i].tenant);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, connection));
    return statuses;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill(), 20_000);
    await exited;
    clearTimeout(timer);
  }

  private get(path: string, tenant: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        { host: '127.0.0.1', port: this.port, path, agent: this.agent, headers: { 'x-tenant-id': tenant } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  private async ask(message: { type: string; [field: string]: unknown }, answer: Answer['type']): Promise<Answer> {
    this.child.send(message);
    const reply = await next(this.child);
    if (reply.type !== answer) throw new Error(`the flood server answered ${JSON.stringify(reply).slice(0, 2_000)}`);
    return reply;
  }
}

function next(child: ChildProcess): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the flood server exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as Answer);
    });
  });
}
