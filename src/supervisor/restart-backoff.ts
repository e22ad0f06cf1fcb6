/** Waits before each restart of a shard's worker: at once the first time, then longer, up to 5 s for every later one. */
const RESTART_DELAY_MILLIS = [0, 100, 500, 1_000, 5_000] as const;

/** How long to wait before starting the replacement, given how many restarts came before it. */
export function restartDelayMillis(restartsSoFar: number): number {
  return RESTART_DELAY_MILLIS[Math.min(restartsSoFar, RESTART_DELAY_MILLIS.length - 1)];
}
