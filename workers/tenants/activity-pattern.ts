import type { ActivityPattern } from '../../src/contract/analytics.js';
import type { ActivityThresholds } from '../../src/contract/worker-config.js';
import { WINDOW_MINUTES } from './activity-window.js';

/**
 * Every pattern that applies, primary first (docs/tenants.md). Precedence: onboarding > batch_processing >
 * high_volume > real_time > medium_volume > low_volume. A volume class always applies; a shape (batch_processing,
 * real_time) only when the hour has one. High volume outranks the steady shape because it is the fact that
 * matters for capacity; among moderate tenants the shape says more than the volume.
 *
 * - batch_processing: the busiest `burstMinutes` minutes hold at least `burstShare` of the hour's requests and at
 *   least `burstMinIdleMinutes` of the 60 minutes had none.
 * - real_time: not batch_processing, and requests in at least `steadyMinActiveMinutes` of the 60 minutes.
 */
export function activityPatterns(
  perMinute: Uint32Array,
  lastHour: number,
  /** The tenant's creation (tenantCreatedAt) when known, else when this worker first saw it. */
  onboardingSinceMillis: number,
  nowMillis: number,
  thresholds: ActivityThresholds,
): ActivityPattern[] {
  const sorted = Array.from(perMinute).sort((a, b) => b - a);
  let busiest = 0;
  for (let i = 0; i < thresholds.burstMinutes; i++) busiest += sorted[i];
  let idle = 0;
  for (let i = 0; i < WINDOW_MINUTES; i++) if (perMinute[i] === 0) idle++;
  const onboarding = nowMillis - onboardingSinceMillis < thresholds.onboardingWindowMillis;
  const batch = lastHour > 0 && busiest >= thresholds.burstShare * lastHour && idle >= thresholds.burstMinIdleMinutes;
  const steady = !batch && WINDOW_MINUTES - idle >= thresholds.steadyMinActiveMinutes;
  const volume: ActivityPattern =
    lastHour > thresholds.highVolumeRequestsPerHour
      ? 'high_volume'
      : lastHour >= thresholds.mediumVolumeRequestsPerHour
        ? 'medium_volume'
        : 'low_volume';
  const patterns: ActivityPattern[] = [];
  if (onboarding) patterns.push('onboarding');
  if (batch) patterns.push('batch_processing');
  if (volume === 'high_volume') patterns.push(volume);
  if (steady) patterns.push('real_time');
  if (volume !== 'high_volume') patterns.push(volume);
  return patterns;
}
