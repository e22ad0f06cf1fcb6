/** One shard as the operations endpoints see it (Recorder.shardStates()): counts since start, and now. */
export interface ShardState {
  running: boolean;
  restarts: number;
  lostRecords: number;
  ringCapacity: number;
  /** Records in the ring now, not yet drained. */
  ringUsed: number;
  written: number;
  spilled: number;
  /** Records in the overflow now, not yet read by the worker. */
  overflowRecords: number;
  overflowBytes: number;
  dropped: number;
  /** Series held (as of the worker's last export) and their bytes (as of its last drain pass). */
  series: number;
  seriesBytes: number;
  /** Records aggregated into an overflow series (maxSeries or maxMemoryBytes reached), as of the last export. */
  overflowedRecords: number;
  exportsSucceeded: number;
  exportsFailed: number;
  lastExportAtMillis: number | undefined;
  lastExportOk: boolean | undefined;
  /** Exports settled with each outcome, whatever the exporter (exportsSucceeded/Failed count OTLP requests). */
  exportsSettledOk: number;
  exportsSettledFailed: number;
  lastError: string | undefined;
  /** Durations of the last exports that sent a request, oldest first. */
  exportDurationsMillis: number[];
}
