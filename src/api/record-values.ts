/**
 * What the record API accepts as a number (collector.ts). A value outside is refused and counted in
 * `stats().rejected` and `stats().rejectedBy`, never recorded: one implausible value would otherwise sit in a sum
 * for the series' whole life (two durations of 1e308 made http_request_duration_seconds_sum +Inf and
 * tenant_cost_share NaN). Finite values within these limits keep every sum, average and share finite.
 */
export const VALUE_LIMITS = {
  /** A day: a request or query that took longer was measured wrong (hooks measure their own, far below it). */
  durationSeconds: 86_400,
  /** 2^53 − 1: beyond it a float64 no longer holds every integer, so a usage total could not be exact. */
  usage: Number.MAX_SAFE_INTEGER,
} as const;

export function isStatusCode(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 999;
}

/** A duration in seconds: from 0 to VALUE_LIMITS.durationSeconds (NaN fails both comparisons). */
export function isDuration(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= VALUE_LIMITS.durationSeconds;
}

/** A recordTenantResource usage: from 0 to VALUE_LIMITS.usage. */
export function isUsage(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= VALUE_LIMITS.usage;
}

/** A finite, non-negative byte count; beyond 2^48 the record saturates it (engine/record-writer.ts). */
export function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value !== Infinity;
}
