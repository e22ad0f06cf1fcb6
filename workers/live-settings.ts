import { type LiveWorkerSettings, optionChanges } from '../src/contract/worker-config.js';

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

/** The options table's change diff (src/options/change.ts), read as what the shard must do. */
export function settingsChange(old: LiveWorkerSettings, next: LiveWorkerSettings): SettingsChange {
  const { effects } = optionChanges(old, next);
  const target = effects.has('target');
  const interval = effects.has('interval');
  const exporters = effects.has('exporters');
  const families = effects.has('families');
  return {
    target,
    interval,
    exporters,
    families,
    sender: target || effects.has('sender'),
    closesWindow: target || interval || exporters || families,
  };
}
