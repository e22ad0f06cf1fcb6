import type { ActivityPattern } from '../../src/contract/analytics.js';
import { WINDOW_MINUTES } from './activity-window.js';

export interface PatternThresholds {
  /** More requests in the last hour than this: high_volume. */
  highVolumePerHour: number;
  /** At least this many (and at most highVolumePerHour): medium_volume; fewer: low_volume. */
  mediumVolumePerHour: number;
  /** First seen within this window: onboarding. */
  onboardingMillis: number;
}

export const DEFAULT_PATTERN_THRESHOLDS: PatternThresholds = {
  highVolumePerHour: 1000,
  mediumVolumePerHour: 100,
  onboardingMillis: 24 * 3_600_000,
};

/** Busiest minutes whose share decides burstiness: 6 of 60 (10 % of the hour). */
const BURST_MINUTES = 6;
/** batch_processing: the busiest 6 minutes hold at least 80 % of the hour's requests and ≥ 30 minutes were idle. */
const BURST_SHARE = 0.8;
const MIN_IDLE_MINUTES = 30;
/** real_time: requests in at least 45 of the 60 minutes. */
const MIN_ACTIVE_MINUTES = 45;

/**
 * Every pattern that applies, primary first (docs/tenants.md). Precedence: onboarding > batch_processing >
 * high_volume > real_time > medium_volume > low_volume. A volume class always applies; a shape (batch_processing,
 * real_time) only when the hour has one. High volume outranks the steady shape because it is the fact that
 * matters for capacity; among moderate tenants the shape says more than the volume.
 */
export function activityPatterns(
  perMinute: Uint32Array,
  lastHour: number,
  firstSeenMillis: number,
  nowMillis: number,
  thresholds: PatternThresholds,
): ActivityPattern[] {
  const sorted = Array.from(perMinute).sort((a, b) => b - a);
  let busiest = 0;
  for (let i = 0; i < BURST_MINUTES; i++) busiest += sorted[i];
  let idle = 0;
  for (let i = 0; i < WINDOW_MINUTES; i++) if (perMinute[i] === 0) idle++;
  const onboarding = nowMillis - firstSeenMillis < thresholds.onboardingMillis;
  const batch = lastHour > 0 && busiest >= BURST_SHARE * lastHour && idle >= MIN_IDLE_MINUTES;
  const steady = !batch && WINDOW_MINUTES - idle >= MIN_ACTIVE_MINUTES;
  const volume: ActivityPattern =
    lastHour > thresholds.highVolumePerHour ? 'high_volume' : lastHour >= thresholds.mediumVolumePerHour ? 'medium_volume' : 'low_volume';
  const patterns: ActivityPattern[] = [];
  if (onboarding) patterns.push('onboarding');
  if (batch) patterns.push('batch_processing');
  if (volume === 'high_volume') patterns.push(volume);
  if (steady) patterns.push('real_time');
  if (volume !== 'high_volume') patterns.push(volume);
  return patterns;
}
