import { type Clock, SYSTEM_CLOCK, sleep } from '../../src/contract/clock.js';
import { timedOutAfterSending } from './http-transport.js';
import type { Transport, TransportResponse } from './otlp-http.js';

export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMillis: number;
  maxBackoffMillis: number;
  multiplier: number;
  /** Jitter as a share of the backoff: 0.2 spreads a 1 s backoff over 0.8–1.2 s. */
  jitter: number;
}

/** The OpenTelemetry exporters' own policy: 5 attempts, 1 s growing by 1.5× to 5 s, ±20 % jitter. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  initialBackoffMillis: 1_000,
  maxBackoffMillis: 5_000,
  multiplier: 1.5,
  jitter: 0.2,
};

/** Time and chance as the retry loop sees them; tests pass a simulated clock. */
export interface RetryClock {
  now(): number;
  sleep(millis: number): Promise<void>;
  /** A number in [0, 1), for the jitter. */
  random(): number;
}

/** The retry loop's view of a shard's clock: the same time and timers, so that one simulated clock drives both. */
export function retryClock(clock: Clock, random: () => number = Math.random): RetryClock {
  return { now: () => clock.nowMillis(), sleep: (millis) => sleep(clock, millis), random };
}

export const SYSTEM_RETRY_CLOCK: RetryClock = retryClock(SYSTEM_CLOCK);

/** How one send ended: the last answer, and how many requests it took. */
export interface RetriedResponse {
  response: TransportResponse;
  attempts: number;
  /** Some attempt timed out after its whole request had gone out: the backend may hold this data already. */
  timedOutAfterSending: boolean;
}

/**
 * Retries a transport's retryable answers until `deadlineMillis`: after the server's Retry-After when it gave one,
 * else after an exponential backoff with jitter. A retry whose wait would end past the deadline is not attempted;
 * the last answer is returned as it is (retryable, with the Retry-After it carried), so that the caller keeps the
 * data for a later export. Permanent failures (400 and the like) and successes are returned at once.
 */
export class RetryingTransport {
  constructor(
    private readonly transport: Transport,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly clock: RetryClock = SYSTEM_RETRY_CLOCK,
  ) {}

  async send(data: Uint8Array, deadlineMillis: number): Promise<RetriedResponse> {
    const { policy, clock } = this;
    let backoff = policy.initialBackoffMillis;
    let timedOut = false;
    for (let attempts = 1; ; attempts++) {
      const response = await this.transport.send(data, Math.max(1, deadlineMillis - clock.now()));
      timedOut ||= timedOutAfterSending(response);
      if (response.status !== 'retryable' || attempts >= policy.maxAttempts) return { response, attempts, timedOutAfterSending: timedOut };
      const jittered = Math.min(backoff * (1 + (clock.random() * 2 - 1) * policy.jitter), policy.maxBackoffMillis);
      const wait = response.retryInMillis ?? jittered;
      if (clock.now() + wait >= deadlineMillis) return { response, attempts, timedOutAfterSending: timedOut };
      await clock.sleep(wait);
      backoff = Math.min(backoff * policy.multiplier, policy.maxBackoffMillis);
    }
  }

  shutdown(): void {
    this.transport.shutdown();
  }
}
