import type { Clock } from '../../src/contract/clock.js';
import type { LiveWorkerSettings, WorkerConfig } from '../../src/contract/worker-config.js';
import { settingsChange } from '../live-settings.js';
import type { Accumulation } from './accumulation.js';
import type { Drain } from './drain.js';
import type { ExportPlanning } from './export-planning.js';
import type { ExportRun } from './export-run.js';

/** The parts of a shard that a configure() changes. */
export interface ReconfigurableShard {
  /** The shard's config: its live fields are replaced here, never mutated, so the old values can be kept. */
  config: WorkerConfig;
  clock: Clock;
  planning: ExportPlanning;
  exportRun: ExportRun;
  drain: Drain;
  accumulation: Accumulation;
}

/**
 * Applies new live settings (configure()): export settings, exporters, metric families. A change that ends the
 * export window (target, interval, exporters, families: live-settings.ts) first exports what was accumulated,
 * under the old settings, so that each window goes where it was meant to go; what that export cannot deliver
 * stays pending and goes out under the new settings, and so does what the endpoint being left refuses for good
 * (a hand-over export). When the data would leave for another destination (a new target, or otlp dropped) and
 * the last OTLP request of the old settings was not accepted, there is no hand-over: the window is carried over
 * whole, rather than sent to an endpoint known to fail. The settings are swapped only while no export runs: one
 * started meanwhile (a flush, the timer) also went out under the old settings, which is what its caller asked for.
 */
export async function reconfigure(shard: ReconfigurableShard, settings: LiveWorkerSettings): Promise<void> {
  const { config, clock, planning, exportRun, drain, accumulation } = shard;
  if (planning.stopped) return;
  // The settings now: the fields below are replaced, never mutated, so this keeps the old ones.
  const old: LiveWorkerSettings = {
    otlp: config.otlp,
    exporters: config.exporters,
    metrics: config.metrics,
    workerHangMillis: config.workerHangMillis,
  };
  const change = settingsChange(old, settings);
  const leaving = old.exporters.includes('otlp') && (change.target || !settings.exporters.includes('otlp'));
  if (change.closesWindow) {
    // Decide on the freshest outcome: an export in flight now may be the one that shows the old endpoint failing.
    await planning.idle();
    if (planning.stopped) return;
    // Leaving: what the old endpoint refuses for good is kept for the new one (see ExportPlan.handOver).
    if (!(leaving && exportRun.lastOtlpAccepted !== true)) await planning.request(clock.nowMillis() + old.otlp.timeoutMillis, leaving);
  }
  // Wait until no export runs (one may have started since ours ended); from here to the swap nothing awaits.
  await planning.idle();
  if (planning.stopped) return;
  // Records published before the change are accumulated under the old families (the tenant rows below).
  drain.drainAll();
  config.otlp = { ...settings.otlp, headers: { ...settings.otlp.headers } };
  config.exporters = [...settings.exporters];
  if (settings.metrics.runtime !== old.metrics.runtime && !settings.metrics.runtime) accumulation.runtime.forgetSamples();
  config.metrics = { ...settings.metrics };
  if (settings.workerHangMillis !== config.workerHangMillis) {
    // A shorter bound caps the idle sleep lower (drain-pacing.ts): beat now and sleep by the new cap from here.
    config.workerHangMillis = settings.workerHangMillis;
    drain.restart();
  }
  accumulation.http.setTenantMetrics(settings.metrics.tenant);
  if (change.sender) exportRun.replaceSender();
  if (change.target) exportRun.forgetTarget();
  // A full new interval from now: the export above just closed the old interval's window.
  if (change.interval) planning.restartTimer();
}
