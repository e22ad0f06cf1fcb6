import { type LiveWorkerSettings, otlpTargetChanged, sameRecord } from '../src/contract/worker-config.js';

/** What a `configure` message changes in a running shard (shard.ts reconfigure), compared with its settings now. */
export interface SettingsChange {
  /** Where OTLP requests go or how they look to the backend: endpoint, headers, compression. */
  target: boolean;
  interval: boolean;
  exporters: boolean;
  families: boolean;
  /** The OTLP sender must be made again: it holds the target and the timeout it was made with. */
  sender: boolean;
  /** The export window so far ends here: it is exported under the old settings first (when it can be delivered). */
  closesWindow: boolean;
}

export function settingsChange(old: LiveWorkerSettings, next: LiveWorkerSettings): SettingsChange {
  const target = otlpTargetChanged(old.otlp, next.otlp);
  const interval = next.otlp.exportIntervalMillis !== old.otlp.exportIntervalMillis;
  const exporters = !sameRecord(next.exporters, old.exporters);
  const families = !sameRecord(next.families, old.families);
  return {
    target,
    interval,
    exporters,
    families,
    sender: target || next.otlp.timeoutMillis !== old.otlp.timeoutMillis,
    closesWindow: target || interval || exporters || families,
  };
}
