/**
 * The HTTP edge of the one health vocabulary. Inside ringmeter a verdict is `ok`, `degraded` or `failing`
 * (api/types.ts, HealthStatus); the health bodies say `healthy`, `degraded` and `unhealthy`, the words
 * docs/operations.md documents and status pages read, and a probe reads 200 or 503.
 */
import type { HealthStatus } from '../api/types.js';

const WORDS = { ok: 'healthy', degraded: 'degraded', failing: 'unhealthy' } as const;

/** A verdict as a health body shows it: `healthy`, `degraded` or `unhealthy`. */
export type ShownHealth = (typeof WORDS)[HealthStatus];

export function shownHealth(status: HealthStatus): ShownHealth {
  return WORDS[status];
}

/** `ok` and `degraded` answer 200 (metrics flow; degraded lists recent losses), `failing` 503. */
export function httpStatusOf(status: HealthStatus): 200 | 503 {
  return status === 'failing' ? 503 : 200;
}
