import { errorMessage } from '../secrets/redact.js';

/** A refusal share below this, or fewer refusals than MIN_REFUSALS in the window, does not degrade health(). */
export const REFUSAL_SHARE_DEGRADED = 0.01;
const MIN_REFUSALS = 10;
/** The window over which the refusal share is taken, and for which an internal failure keeps health() degraded. */
export const REFUSAL_WINDOW_MILLIS = 5 * 60_000;
/** Samples closer together than this are not kept (health() may be called on every probe). */
const SAMPLE_SPACING_MILLIS = 10_000;

interface Sample {
  atMillis: number;
  refused: number;
  recorded: number;
}

/**
 * What the record API refused, by reason (`recordHttp.durationSeconds`: the call and the field that was wrong),
 * tenant ids recorded as `invalid` instead of what was given (`honoMetrics.tenant`, `recordHttp.tenantId`; the
 * record itself was kept), and what ringmeter's own hooks failed to record (`honoMetrics`: a bug, never the
 * caller's fault). All are counted on the refusal path only; the record path that succeeds never touches this.
 *
 * Health: one bad value now and then is the application's business, not an outage. Refusals degrade health()
 * only as a share — more than 1 % of record calls over the last five minutes, and at least ten — while a hook's
 * own failure degrades it for five minutes from the last one, naming it.
 */
export class Refusals {
  private readonly byReason = new Map<string, number>();
  /** Tenant ids recorded as `invalid` instead (the record was kept): in rejectedBy, never in the refusal share. */
  private readonly tenantsByReason = new Map<string, number>();
  private readonly failuresByHook = new Map<string, number>();
  private lastFailure: { atMillis: number; text: string } | undefined;
  private samples: Sample[];

  constructor(nowMillis: number) {
    this.samples = [{ atMillis: nowMillis, refused: 0, recorded: 0 }];
  }

  /** Counts one refused call; `reason` names the call and the field. */
  refuse(reason: string): void {
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
  }

  /** Counts one tenant id recorded as `invalid`; `reason` names the call or hook and the option or field. */
  tenantReplaced(reason: string): void {
    this.tenantsByReason.set(reason, (this.tenantsByReason.get(reason) ?? 0) + 1);
  }

  /** Counts one failure inside a hook's own recording (the application's request or query went on unharmed). */
  hookFailed(hook: string, error: unknown): void {
    this.failuresByHook.set(hook, (this.failuresByHook.get(hook) ?? 0) + 1);
    let text: string;
    try {
      text = errorMessage(error);
    } catch {
      // An error object whose message getter throws: the count still stands.
      text = 'an error that could not be described';
    }
    this.lastFailure = { atMillis: Date.now(), text: `${hook}: ${text}` };
  }

  /** Refused calls and replaced tenant ids by reason, as a plain object for stats(). */
  reasons(): Record<string, number> {
    return Object.fromEntries([...this.byReason, ...this.tenantsByReason]);
  }

  /** Hook failures by hook, as a plain object for stats(). */
  failures(): Record<string, number> {
    return Object.fromEntries(this.failuresByHook);
  }

  /**
   * The health() lines for refusals and hook failures, given the current totals (`refused` and `recorded`
   * records, refused ones not included in `recorded`).
   */
  healthReasons(nowMillis: number, refused: number, recorded: number): string[] {
    const reasons: string[] = [];
    const failure = this.lastFailure;
    if (failure !== undefined && nowMillis - failure.atMillis < REFUSAL_WINDOW_MILLIS) {
      const total = [...this.failuresByHook.values()].reduce((sum, count) => sum + count, 0);
      reasons.push(`ringmeter's own hooks failed to record (${total} in total; last: ${failure.text})`);
    }
    const since = this.baseline(nowMillis);
    const refusedNow = refused - since.refused;
    const calls = refusedNow + recorded - since.recorded;
    if (refusedNow >= MIN_REFUSALS && refusedNow / calls > REFUSAL_SHARE_DEGRADED) {
      const top = [...this.byReason]
        .sort(([, a], [, b]) => b - a)
        .slice(0, 3)
        .map(([reason, count]) => `${reason} ×${count}`)
        .join(', ');
      const seconds = Math.round((nowMillis - since.atMillis) / 1000);
      reasons.push(
        `${refusedNow} of ${calls} record calls in the last ${seconds} s were refused for invalid values (${((100 * refusedNow) / calls).toFixed(1)} %; most: ${top})`,
      );
    }
    this.sample({ atMillis: nowMillis, refused, recorded });
    return reasons;
  }

  /** The newest sample at least a window old, or the oldest one while the collector is younger than a window. */
  private baseline(nowMillis: number): Sample {
    let base = this.samples[0];
    for (const sample of this.samples) {
      if (nowMillis - sample.atMillis < REFUSAL_WINDOW_MILLIS) break;
      base = sample;
    }
    return base;
  }

  private sample(now: Sample): void {
    const last = this.samples[this.samples.length - 1];
    if (now.atMillis - last.atMillis >= SAMPLE_SPACING_MILLIS) this.samples.push(now);
    // Keep one sample from before the window, so that the share always covers a full window once one has passed.
    const firstInside = this.samples.findIndex((sample) => now.atMillis - sample.atMillis <= REFUSAL_WINDOW_MILLIS);
    if (firstInside > 1) this.samples = this.samples.slice(firstInside - 1);
  }
}
