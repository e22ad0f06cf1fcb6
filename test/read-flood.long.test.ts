import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { operationsRoutes } from 'ringmeter/hono';
import { createTestCollector, internals } from 'ringmeter/internal';
import { waitFor } from './support/harness.js';
import { serveLocally } from './support/node-server.js';

const FLOOD = fileURLToPath(new URL('./fixtures/scrape-flood.mjs', import.meta.url));
const CLOCK = fileURLToPath(new URL('./fixtures/export-clock.mjs', import.meta.url));

interface Answer {
  status: number;
  bodyBytes: number;
  contentLength?: number;
  error?: string;
}

/** Runs the flood client in a child process and returns what it saw. */
function flood(port: number, concurrency: number, durationMillis: number): Promise<{ firstWave: Answer[]; later: Answer[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLOOD, String(port), '/metrics', String(concurrency), String(durationMillis)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`flood client exited with ${code}`))));
  });
}

/** One export as the export clock saw it: when its last request arrived, and when it collected its data (ms). */
interface ExportSeen {
  arrivedAt: number;
  collectedAt: number;
}

/** The export clock (fixtures/export-clock.mjs) in a child process: its URL, and the exports seen so far. */
async function exportClock(): Promise<{ url: string; exports: ExportSeen[]; stop(): void }> {
  const child = spawn(process.execPath, [CLOCK], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exports: ExportSeen[] = [];
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [what, first, second] = line.split(' ');
        if (what === 'port') resolve(Number(first));
        else if (what === 'export') exports.push({ arrivedAt: Number(first), collectedAt: Number(second) });
      }
    });
    child.once('exit', (code) => reject(new Error(`export clock exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/v1/metrics`, exports, stop: () => child.kill('SIGKILL') };
}

/** Largest difference between two neighbours of `times` (sorted), in ms. */
function largestGap(times: number[]): number {
  return Math.max(...times.slice(1).map((at, i) => at - times[i]));
}

const INTERVAL_MILLIS = 1_000;
/**
 * How much later than the interval an export may collect, and arrive, during the flood. Measured on the 2-core
 * machine under a load average of 4 to 12 (other test runs, or two busy loops, beside this one), in nine runs: at
 * most 1,201 ms between two collections and 1,587 ms between two arrivals. Before the fix, no export at all in
 * 12 s of flood (and 192 of the first 200 scrapes answered 503).
 *
 * At a load of 10–20 the limits can be exceeded by the machine, not by the reads (traced in the worker, 2026-12-08,
 * load 10–11: 1.1–3.0 s collected, 1.9–3.7 s arrived): two renders in the whole flood, slices of at most 98 ms;
 * the timer ran late only right after an export's own synchronous work (closing 5,000 tenants' interval and
 * collecting, 40–130 ms of thread CPU) took 0.5–1.8 s of wall time, the thread getting a sixth of a core.
 */
const COLLECTED_MARGIN_MILLIS = 500;
const ARRIVED_MARGIN_MILLIS = 1_000;

/**
 * A collector exporting every second to the export clock, holding 5,000 tenants × 4 routes (20,000 request series,
 * a GET /metrics of about 40 MB), with the operations routes on @hono/node-server.
 */
async function fiveThousandTenants() {
  const clock = await exportClock();
  const collector = createTestCollector({
    env: {},
    metrics: { runtime: false },
    // The export clock reads OTLP/JSON (it only needs one point's time): JSON costs the worker more to encode than
    // protobuf, so exports here are no cheaper than by default.
    otlp: { endpoint: clock.url, exportIntervalMillis: INTERVAL_MILLIS, protocol: 'http/json' },
    // The scale, every tenant with series of its own: at the default bound (10 MiB) about 1,300 of the
    // 5,000 would be, the rest folded into `__overflow__`, and a scrape would be 6.5 MB instead of 40 MB. A larger
    // bound makes this test harder (bigger renders competing with exports), never easier.
    maxMemoryBytes: 128 * 1024 * 1024,
  });
  const app = new Hono();
  // /health calls exports stale after 5 s without one: the symptom ("no export has finished for 5 s").
  app.route('/', operationsRoutes(collector, { staleExportMillis: 5_000 }));
  const server = await serveLocally(app);
  const setUp = {
    collector,
    server,
    clock,
    async close() {
      await server.close();
      await collector.shutdown().catch(() => {});
      clock.stop();
    },
  };
  try {
    const routes = ['/orders/:id', '/orders', '/invoices/:id', '/reports/:name'];
    for (let tenant = 0; tenant < 5_000; tenant++)
      for (const route of routes)
        collector.recordHttp({ method: 'GET', route, statusCode: 200, tenantId: `tenant-${tenant}`, durationSeconds: 0.01 });
    await collector.flush({ timeoutMillis: 30_000 });
    if (collector.stats().memory.foldedTenants !== 0) throw new Error("tenants were folded: the scrape would not be the issue's size");
  } catch (error) {
    await setUp.close();
    throw error;
  }
  return setUp;
}

// Time limits of 300 s: the set-up (20,000 series exported) and the flood took 100 s to over 120 s at a load average
// of 10–20 on 2 cores (other test runs beside it). The limit bounds only how long a test may take, not anything it
// asserts.
describe('hostile reads: a flood of concurrent GET /metrics (issue #28, item 5)', () => {
  it('200 concurrent scrapes of 5,000 tenants × 4 routes share renders; exports keep their 1 s interval; /health stays 200', async () => {
    const setUp = await fiveThousandTenants();
    const { collector, clock, server } = setUp;
    try {
      const health: { status: number; body: string }[] = [];
      let flooding = true;
      const sampling = (async () => {
        while (flooding) {
          const response = await fetch(`${server.base}/health`);
          health.push({ status: response.status, body: await response.text() });
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      const floodStarted = Date.now();
      // The first wave alone (200 requests at once): one render answers them all, a second at most (a request that
      // arrives after the first render ended starts the next, which every later one shares).
      const firstWave = (await flood(server.port, 200, 0)).firstWave;
      expect(internals(collector).reads.renders.sent).toBeLessThanOrEqual(2);
      // Then a sustained flood: each client asks again as soon as it has read its answer.
      const sustained = await flood(server.port, 200, 3_000);
      const seen = { firstWave, later: [...sustained.firstWave, ...sustained.later] };
      const floodEnded = Date.now();
      flooding = false;
      await sampling;
      const exports = clock.exports.filter((seen) => seen.collectedAt >= floodStarted && seen.collectedAt <= floodEnded);
      const answered = [...seen.firstWave, ...seen.later];
      console.log(
        `${answered.length} scrapes of ${seen.firstWave[0].bodyBytes} bytes in ${floodEnded - floodStarted} ms ` +
          `(statuses ${JSON.stringify([...new Set(answered.map((answer) => answer.status))])}); ${exports.length} exports, largest gap ` +
          `${largestGap(exports.map((seen) => seen.collectedAt))} ms collected, ${largestGap(exports.map((seen) => seen.arrivedAt))} ms arrived; ` +
          `${health.length} /health samples; ${internals(collector).reads.renders.sent} renders`,
      );

      // The first wave (200 requests at once): every one answered 200 with the whole text, all of one size.
      expect(seen.firstWave.map((answer) => answer.status)).toEqual(Array(200).fill(200));
      const size = seen.firstWave[0].bodyBytes;
      expect(size).toBeGreaterThan(30_000_000);
      expect(seen.firstWave.every((answer) => answer.bodyBytes === size && answer.contentLength === size)).toBe(true);
      // /health answered 200 in every sample taken during the flood.
      expect(health.length).toBeGreaterThan(10);
      expect(health.filter((sample) => sample.status !== 200)).toEqual([]);
      // Exports kept their schedule: collected every interval (the timer fired on time, never held up by a render)
      // and delivered soon after (what an export takes on a loaded machine varies).
      expect(exports.length).toBeGreaterThanOrEqual(Math.floor((floodEnded - floodStarted) / (INTERVAL_MILLIS + COLLECTED_MARGIN_MILLIS)));
      expect(largestGap(exports.map((seen) => seen.collectedAt))).toBeLessThanOrEqual(INTERVAL_MILLIS + COLLECTED_MARGIN_MILLIS);
      expect(largestGap(exports.map((seen) => seen.arrivedAt))).toBeLessThanOrEqual(INTERVAL_MILLIS + ARRIVED_MARGIN_MILLIS);
    } finally {
      await setUp.close();
    }
  }, 300_000);

  it('a scrape whose client disconnects is cancelled in the worker, and the next one is answered whole', async () => {
    const setUp = await fiveThousandTenants();
    const { collector, server } = setUp;
    try {
      const renders = () => internals(collector).reads.renders;
      const socket = connect(server.port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      // Gone while its render (tens of megabytes, hundreds of milliseconds) runs: nobody else waits for it.
      await waitFor(() => renders().running, 10_000, 'the render to start');
      socket.destroy();
      await waitFor(() => !renders().running, 10_000, 'the worker to answer the cancelled render');
      expect(renders()).toEqual({ sent: 1, cancelled: 1, running: false });

      const response = await fetch(`${server.base}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text.match(/^http_requests_total\{/gm)).toHaveLength(20_000);
      expect(renders()).toEqual({ sent: 2, cancelled: 1, running: false });
    } finally {
      await setUp.close();
    }
  }, 300_000);
});
