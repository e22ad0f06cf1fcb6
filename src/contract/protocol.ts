import type { MessagePort } from 'node:worker_threads';
import type { LiveWorkerSettings, WorkerConfig } from './worker-config.js';
import type { ShardAnalytics, TenantSelection } from './analytics.js';

/**
 * Messages between the main thread and a shard worker, over one MessagePort per shard. Records go through the
 * ring; only when it is full do they come here, a segment of thousands at a time, shared, not copied. A message
 * with an `id` is a call (src/supervisor/worker-calls.ts): the worker answers it once, with the same id. Counts
 * travel in the ring's header slots (ring-layout.ts), never in messages.
 */

/** The piscina task that starts a shard's worker. It resolves as soon as the worker runs; the worker keeps going. */
export interface StartShardTask {
  shard: number;
  ring: SharedArrayBuffer;
  strings: SharedArrayBuffer;
  /**
   * The series the worker holds, for the fold (held-series.ts): the worker adds, the main thread reads. The
   * supervisor always gives it; a shard made alone (unit tests of the worker) may not, and then tells nobody.
   */
  heldSeries?: SharedArrayBuffer;
  port: MessagePort;
  /** The test hooks' port (test-hooks.ts): given only to a worker of a collector made for tests. */
  testPort?: MessagePort;
  /** A test's steered time (steered-clock.ts), read instead of the system clock: only with a test port. */
  testTime?: SharedArrayBuffer;
  config: WorkerConfig;
}

export type MainToWorker =
  /**
   * Drain everything published so far, export it, then answer `flushed` or `flushFailed`. The export may take
   * `timeoutMillis` from when the worker reads the message (a worker still starting does not eat into it), waiting
   * for a Retry-After and retrying included.
   */
  | { type: 'flush'; id: number; timeoutMillis: number }
  /** Like flush, but within `deadlineMillis` (ms since the epoch: a shutdown must end in time), then stop every timer and close the port. */
  | { type: 'shutdown'; id: number; deadlineMillis: number }
  /**
   * An overflow segment: `records` records in the ring's format, numbered `seq` in the order sent. The buffer is
   * shared; the worker reads it whole, then counts it in SPILL_SEGMENTS_READ, after which the main thread reuses it.
   */
  /** An overflow segment, or (`foldEntries` > 0) a fold block of that many entries (fold-layout.ts), to read whole. */
  | { type: 'spill'; seq: number; buffer: SharedArrayBuffer; records: number; foldEntries: number }
  /**
   * Render this shard's series for `GET /metrics`, cumulative since the worker started (src/reads/exposition.ts); answered
   * with `rendered`. Nothing is exported or settled: the OTLP delta state is left as it was. The main thread sends
   * one at a time (src/supervisor/read-lane.ts); the worker renders in slices (workers/render-queue.ts).
   */
  | { type: 'render'; id: number }
  /**
   * Every caller of read `id` (a render or analytics) gave up: a render that has not finished stops and is answered
   * `readCancelled`; a read already answered is not answered again.
   */
  | { type: 'cancelRead'; id: number }
  /**
   * configure(): the settings to use from now on (export settings, exporters, metric families), answered with
   * `configured` once in effect. A change that moves or closes the export window (endpoint, headers, compression,
   * interval, exporters, families) first exports what was aggregated under the old settings, unless the data would
   * leave for another destination and the last OTLP request to the old one failed: then it is carried over to the
   * new settings (a hand-over export carries over what the old endpoint refuses for good, too). With `checkId`, the
   * worker then tests that the new endpoint answers and reports it as `connectivity`.
   */
  | { type: 'configure'; id: number; settings: LiveWorkerSettings; checkId?: number }
  /** This shard's tenant analytics (analytics.ts), answered with `analyzed`; read-only like render. */
  | { type: 'analytics'; id: number; selection: TenantSelection }
  /**
   * Tenant retention, step 2 (docs/design/tenant-retention.md): the main thread accepted these tenants' retirement
   * (ids as in records, TENANT_ID_BASE + slot); nothing names them from now on but code that resolved their id
   * earlier. The worker drains, forgets every one with nothing pending, keeps the others until an export settles
   * their data, and reports each with `tenantsForgotten`. Also sent to a replacement worker for the slots a dead one
   * never reported.
   */
  | { type: 'tenantsForget'; ids: number[] }
  /**
   * A tenant's creation date from the application's tenantCreatedAt (epoch ms), for `onboarding`. `tenant` is the
   * id the slot held when the date was asked: the worker applies it only if the slot still holds that tenant.
   */
  | { type: 'tenantCreated'; id: number; tenant: string; createdMillis: number };

export type WorkerToMain =
  | { type: 'flushed'; id: number }
  | { type: 'flushFailed'; id: number; reason: string }
  | { type: 'stopped'; id: number; reason?: string }
  /**
   * Sent after every export, once its counts are in the header (RingHeader.addExportSettled), so that stats() and
   * health() can be read synchronously: `ok` unless a request failed (`error` says how); `refusal`, what the
   * backend said refusing points in a partial success (an accepted request, so no failure).
   */
  | { type: 'exported'; ok: boolean; error?: string; refusal?: string }
  | ({ type: 'rendered'; id: number } & ShardRender)
  /** Read `id` was cancelled (cancelRead) before it finished: no other answer comes for it. */
  | { type: 'readCancelled'; id: number }
  | { type: 'analyzed'; id: number; result: ShardAnalytics }
  /**
   * Tenant retention, step 1: these tenants (ids as in records) had no record for tenantRetentionMillis and nothing
   * pending when the worker looked, having aggregated the ring below `readIndex` and `spillSegmentsRead` overflow
   * segments. Nothing is forgotten yet: the main thread judges what it wrote since (tenant-slots.ts).
   */
  | { type: 'tenantsIdle'; ids: number[]; readIndex: number; spillSegmentsRead: number }
  /**
   * Tenant retention, step 3: the worker holds no state for these tenants any more; `readIndex` is its READ_INDEX
   * after the drain that preceded forgetting them. The main thread frees their slots once the fence is passed.
   */
  | { type: 'tenantsForgotten'; ids: number[]; readIndex: number }
  /**
   * The console exporter's summary of one interval, whole lines ending in a newline: the main thread writes it to
   * process.stdout in one call, so summaries of several shards never interleave mid-line. Not the worker's own
   * stdout: piscina leaves it to Node, which relays it on a stream of its own, so a summary could show after the
   * flush() that exported it resolved; on this port it arrives before the `flushed` answer.
   */
  | { type: 'console'; text: string }
  | { type: 'configured'; id: number }
  /**
   * The connectivity check `checkId` of the endpoint a configure set: an empty OTLP export (no data point), so that
   * the backend's answer (2xx, or the HTTP status it refused it with) proves it is there. `error` is redacted.
   */
  | { type: 'connectivity'; checkId: number; ok: boolean; error?: string };

/** One metric of one shard, as GET /metrics shows it (src/reads/exposition.ts joins the shards'): its samples already rendered, one line each, every line ending in a newline. */
export interface MetricFamilyText {
  /** The Prometheus family name: sanitised, counters ending in `_total` (ringmeter_records_written_total). */
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  /**
   * The sample lines as UTF-8, in chunks of whole lines (a few tens of kilobytes each, so that the worker encodes
   * them a slice at a time); the same in both formats.
   */
  samples: Uint8Array[];
}

/**
 * One shard's answer to `render`: its families, and how far the render's snapshot had drained the ring
 * (`readIndex`, READ_INDEX) and the overflow (`spillRecordsRead`, SPILL_RECORDS_READ). A scrape asked while this
 * render ran may take it only if these cover every record written before it asked (src/read-coalescer.ts).
 */
export interface ShardRender {
  families: MetricFamilyText[];
  readIndex: number;
  spillRecordsRead: number;
}

export function unexpectedMessage(message: never): never {
  throw new TypeError(`unexpected message ${JSON.stringify(message)}`);
}
