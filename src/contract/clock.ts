/** A pending timer, as a clock hands it out: the system clock's are Node's own timers. */
export interface ClockTimer {
  /** Lets the process exit while this timer is pending. */
  unref(): unknown;
}

/**
 * Time and timers as the workers and their supervisor see them. The system clock is the default; tests pass a
 * simulated one, so that back-offs, Retry-After waits and hang detection run without real sleeps.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMillis(): number;
  setTimeout(callback: () => void, delayMillis: number): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
  /** A signal that aborts after `millis` on this clock: a request's timeout, on the same time as its deadline. */
  abortAfter(millis: number): AbortSignal;
}

export const SYSTEM_CLOCK: Clock = {
  nowMillis: () => Date.now(),
  setTimeout: (callback, delayMillis) => setTimeout(callback, delayMillis),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  abortAfter: (millis) => AbortSignal.timeout(millis),
};

/** Resolves after `millis` on `clock`. */
export function sleep(clock: Clock, millis: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, millis));
}
