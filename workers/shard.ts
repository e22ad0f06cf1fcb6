import { type Clock, SYSTEM_CLOCK } from '../src/contract/clock.js';
import { SteeredClock } from '../src/contract/steered-clock.js';
import type { TenantSelection } from '../src/contract/analytics.js';
import { HeldSeries } from '../src/contract/held-series.js';
import type { StartShardTask } from '../src/contract/protocol.js';
import { RingHeader } from '../src/contract/ring-header.js';
import type { LiveWorkerSettings, WorkerConfig } from '../src/contract/worker-config.js';
import { Dictionary } from './dictionary.js';
import { checkConnectivity } from './export/connectivity-check.js';
import { CumulativeTotals } from './export/cumulative-totals.js';
import { SelfMetrics } from './export/self-metrics.js';
import { MemoryBudget } from './memory-budget.js';
import type { ForgetOutcome, TenantForgetting } from './tenant-forgetting.js';
import type { TestHookTarget } from './test-hooks.js';
import type { TenantProfiles } from './tenants/tenant-profiles.js';
import { Accumulation } from './shard/accumulation.js';
import { DRAIN_SLICE, Drain } from './shard/drain.js';
import { type ExportOutcome, ExportPlanning } from './shard/export-planning.js';
import { ExportRun } from './shard/export-run.js';
import { MessageLink, type ShardMessages } from './shard/message-link.js';
import { ShardReads } from './shard/reads.js';
import { reconfigure } from './shard/reconfigure.js';
import { TenantRetention } from './shard/tenant-retention.js';

export type { ExportOutcome } from './shard/export-planning.js';

/**
 * One shard's worker, composed: its drain feeds the accumulation; the export planning decides when an export runs
 * and the export run collects, sends and settles it; retention forgets idle and retired tenants; the reads answer
 * GET /metrics and analytics; the message link carries it all to and from the main thread (workers/shard/). It is
 * the only reader of its ring and the only writer of its series (records are sharded by tenant), so nothing locks.
 */
export class Shard implements ShardMessages, TestHookTarget {
  private readonly config: WorkerConfig;
  private readonly clock: Clock;
  private readonly header: RingHeader;
  private readonly budget: MemoryBudget;
  private readonly link: MessageLink;
  private readonly accumulation: Accumulation;
  private readonly drainLoop: Drain;
  private readonly retention: TenantRetention;
  private readonly exportRun: ExportRun;
  private readonly planning: ExportPlanning;
  private readonly reads: ShardReads;

  /** `clock` drives every wait of the shard (drain passes, the export timer, Retry-After, retries). */
  constructor(task: StartShardTask, clock: Clock = SYSTEM_CLOCK) {
    const { config } = task;
    const now = clock.nowMillis();
    this.clock = clock;
    this.config = config;
    this.link = new MessageLink(task.port, task.testPort);
    this.header = new RingHeader(task.ring);
    // One budget for everything this worker keeps per tenant, route, table or series (memory-budget.ts).
    this.budget = MemoryBudget.forShard(config.maxMemoryBytes);
    const dictionary = new Dictionary(task.strings, config.stringTableEntries, config.tenantSlots, this.budget);
    const accumulation = new Accumulation(
      dictionary,
      config,
      this.budget,
      now,
      task.heldSeries === undefined ? undefined : new HeldSeries(task.heldSeries),
    );
    this.accumulation = accumulation;
    // The record dispatch, bound once: the ring and the overflow feed the same accumulation.
    const sink = (words: Uint32Array, floats: Float64Array, slot: number, nowMillis: number) =>
      accumulation.consume(words, floats, slot, nowMillis);
    this.drainLoop = new Drain(task.ring, this.header, config, clock, sink, () => this.publishMemory());
    const totals = new CumulativeTotals(this.budget.totals);
    const self = new SelfMetrics(this.header, config.shard, now);
    const post = this.link.post.bind(this.link);
    this.retention = new TenantRetention(accumulation, totals, this.drainLoop, this.header, config, post, () => this.publishMemory());
    this.exportRun = new ExportRun(config, clock, this.drainLoop, accumulation, self, totals, this.header, this.retention, post);
    this.planning = new ExportPlanning(
      clock,
      () => this.config.otlp,
      (plan) => this.exportRun.run(plan),
    );
    const shardLabels = config.shards > 1 ? `ringmeter_shard="${config.shard}"` : '';
    this.reads = new ShardReads(
      this.drainLoop,
      accumulation,
      self,
      totals,
      this.header,
      clock,
      shardLabels,
      this.link,
      () => this.planning.exporting,
    );
  }

  /** Per-tenant analytics (workers/tenants), read by `analytics` messages; never exported state. */
  get profiles(): TenantProfiles {
    return this.accumulation.profiles;
  }

  /** Tenant retention's single forget point (tenant-forgetting.ts). */
  get tenantForgetting(): TenantForgetting {
    return this.retention.forgetting;
  }

  start(): void {
    this.link.listen(this, this);
    this.drainLoop.start();
    this.planning.startTimer();
  }

  /** One drain pass of up to `limit` records, from the ring first, then whole overflow segments; returns how many. */
  drain(limit: number): number {
    return this.drainLoop.pass(limit);
  }

  /** Forgets these tenants' state unless some of it is still pending (tenant-retention.ts). */
  forgetTenants(ids: readonly number[]): ForgetOutcome {
    return this.retention.forget(ids);
  }

  /** This shard's tenants idle for tenantRetentionMillis with nothing pending. */
  idleTenants(nowMillis: number): number[] {
    return this.retention.idleTenants(nowMillis);
  }

  /** Starts an export, or joins the one already waiting (export-planning.ts). */
  requestExport(deadlineMillis: number, handOver = false): Promise<ExportOutcome> {
    return this.planning.request(deadlineMillis, handOver);
  }

  /** Applies new live settings between two exports (reconfigure.ts). */
  reconfigure(settings: LiveWorkerSettings): Promise<void> {
    const { config, clock, planning, exportRun, drainLoop: drain, accumulation } = this;
    return reconfigure({ config, clock, planning, exportRun, drain, accumulation }, settings);
  }

  // The main thread's messages (message-link.ts).

  flush(id: number, timeoutMillis: number): void {
    void this.planning.request(this.clock.nowMillis() + timeoutMillis).then((outcome) => {
      this.link.post(outcome.ok ? { type: 'flushed', id } : { type: 'flushFailed', id, reason: outcome.reason });
    });
  }

  /** Read on the next drain pass (at once if none is due soon), in order with the ring's records. */
  spill(seq: number, buffer: SharedArrayBuffer, records: number, foldEntries: number): void {
    this.drainLoop.spill.enqueue(seq, buffer, records, foldEntries);
  }

  shutdown(id: number, deadlineMillis: number): void {
    void this.stop(id, deadlineMillis);
  }

  render(id: number): void {
    this.reads.render(id);
  }

  cancelRead(id: number): void {
    this.reads.cancel(id);
  }

  configure(id: number, settings: LiveWorkerSettings, checkId: number | undefined): void {
    void this.reconfigure(settings).then(() => {
      this.link.post({ type: 'configured', id });
      if (checkId !== undefined) void this.reportConnectivity(checkId, settings.otlp);
    });
  }

  tenantsRetired(ids: number[]): void {
    this.retention.retired(ids);
  }

  tenantCreated(id: number, tenant: string, createdMillis: number): void {
    this.accumulation.profiles.setCreated(id, tenant, createdMillis);
  }

  analytics(id: number, selection: TenantSelection): void {
    this.reads.analytics(id, selection);
  }

  // Test hooks (test-hooks.ts).

  setPaused(paused: boolean): void {
    this.drainLoop.paused = paused;
  }

  holdTenantForgets(held: boolean): void {
    this.retention.holdForgets(held);
  }

  budgetBytes(): { used: number; limit: number } {
    return { used: this.budget.used, limit: this.budget.limitBytes };
  }

  setDrainLimit(recordsPerPass: number | undefined): void {
    this.drainLoop.limit = recordsPerPass ?? DRAIN_SLICE;
  }

  fireDueTimers(): void {
    if (this.clock instanceof SteeredClock) this.clock.fireDue();
  }

  /** What the budget holds and what it did to tenants, for the main thread (stats(), the overflow's room). */
  private publishMemory(): void {
    // The overflow sizes itself by what the worker's state leaves of the shard's memory bound.
    this.header.setSeriesBytes(this.budget.used);
    const { admission } = this.accumulation;
    this.header.setTenants(admission.admitted, admission.folded, this.accumulation.recordsFolded);
  }

  /** The connectivity check of a configured endpoint, reported to the main thread (never the headers). */
  private async reportConnectivity(checkId: number, otlp: WorkerConfig['otlp']): Promise<void> {
    const result = await checkConnectivity(otlp);
    if (this.planning.stopped) return;
    this.link.post(
      result.ok ? { type: 'connectivity', checkId, ok: true } : { type: 'connectivity', checkId, ok: false, error: result.error },
    );
  }

  private async stop(id: number, deadlineMillis: number): Promise<void> {
    this.drainLoop.paused = false;
    const outcome = await this.planning.request(deadlineMillis);
    this.planning.stop();
    this.drainLoop.stop();
    this.reads.stop();
    await this.exportRun.shutdown();
    this.link.post(outcome.ok ? { type: 'stopped', id } : { type: 'stopped', id, reason: outcome.reason });
    this.link.close();
  }
}
