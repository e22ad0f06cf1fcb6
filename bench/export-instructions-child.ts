/**
 * One process of bench/export-instructions.ts, run under callgrind: `node export-instructions-child.js <series>
 * <http/protobuf|http/json> <rounds>`. Each round records one request in each of `series` series (tenants × 20
 * routes, as bench/export), waits until the worker has drained them, then flushes (one export to a receiver in an
 * untraced process of its own). Right before the last round's flush and right after it, the child asks callgrind to
 * dump every thread's counts (`callgrind_control --dump`), so that the counts between the two dumps are a part of
 * their own (start-up, warm-up, the first export that makes the series and encodes their attributes, and the
 * draining of the records are outside it). Prints one JSON line: the data points and requests of that flush.
 */
import { execFile, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestCollector } from '../src/internal.js';
import { recordGrid, ringDrained } from './lib/ring-grid.js';

const [seriesText, protocol, roundsText] = process.argv.slice(2);
const series = Number(seriesText);
const rounds = Number(roundsText);
const ROUTES = 20;

interface Counts {
  points: number;
  requests: number;
  bytes: number;
}

/**
 * Asks callgrind (callgrind_control, through vgdb) to dump every thread's counts now. Awaited, not run synchronously:
 * valgrind takes the request at its next poll, from a thread that is running.
 */
async function dump(hint: string): Promise<void> {
  await promisify(execFile)('callgrind_control', [`--dump=${hint}`, String(process.pid)]);
}

const receiver = fork(fileURLToPath(new URL('./lib/receiver-process.js', import.meta.url)));
function ask<T>(type: string, answer: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string } & T) => {
      if (message.type !== answer) return;
      receiver.off('message', onMessage);
      resolve(message);
    };
    receiver.on('message', onMessage);
    receiver.send({ type });
  });
}

const { url } = await ask<{ url: string }>('start', 'url');
const tenants = Array.from({ length: series / ROUTES }, (_, i) => `tenant-${i}`);
const routes = Array.from({ length: ROUTES }, (_, i) => `/api/r${i}/:id`);
const collector = createTestCollector({
  env: {},
  otlp: { endpoint: url, protocol: protocol as 'http/protobuf' | 'http/json', exportIntervalMillis: 3_600_000, timeoutMillis: 600_000 },
  metrics: { runtime: false },
  // Under valgrind everything runs ~50× slower: the default hang bound would restart the worker mid-run.
  workerHangMillis: 3_600_000,
  maxMemoryBytes: 1 << 30,
  maxTenants: Math.max(10_000, tenants.length + 10),
  maxSeries: 1_000_000,
  ringCapacity: 1 << 17,
});
let last: Counts = { points: 0, requests: 0, bytes: 0 };
let round: Counts = { points: 0, requests: 0, bytes: 0 };
for (let r = 0; r < rounds; r++) {
  recordGrid(collector, tenants, routes);
  await ringDrained(collector, 50);
  {
    const measured = r === rounds - 1;
    // A callgrind dump of every thread's counts, before and after the measured flush.
    if (measured) await dump('before-flush');
    await collector.flush({ timeoutMillis: 600_000 });
    if (measured) await dump('after-flush');
    const now = await ask<Counts>('counts', 'counts');
    round = { points: now.points - last.points, requests: now.requests - last.requests, bytes: now.bytes - last.bytes };
    last = now;
  }
}
// Under valgrind the final export takes longer than the default shutdown bound allows.
await collector.shutdown({ timeoutMillis: 600_000 });
const receiverGone = new Promise((resolve) => receiver.once('exit', resolve));
receiver.send({ type: 'stop' });
await receiverGone;
console.log(JSON.stringify(round));
