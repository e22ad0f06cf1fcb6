import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { describe, expect, it } from 'vitest';
import { retryAfterMillis } from '../dist/workers/export/otlp-http.js';
import { DEFAULT_RETRY_POLICY, RetryingTransport, type RetryClock } from '../dist/workers/export/retrying-transport.js';

/** Simulated time: sleeping advances the clock at once; every sleep is remembered. */
function simulatedClock(random = 0.5): RetryClock & { sleeps: number[]; nowMillis: number } {
  const clock = {
    nowMillis: 1_000_000,
    sleeps: [] as number[],
    now: () => clock.nowMillis,
    sleep: async (millis: number) => {
      clock.sleeps.push(millis);
      clock.nowMillis += millis;
    },
    random: () => random,
  };
  return clock;
}

/** A transport that gives the scripted answers in turn, each after `latencyMillis` of simulated time. */
function scripted(
  clock: { nowMillis: number },
  answers: ExportResponse[],
  latencyMillis = 10,
): IExporterTransport & { timeouts: number[] } {
  const timeouts: number[] = [];
  let next = 0;
  return {
    timeouts,
    async send(_data, timeoutMillis) {
      timeouts.push(timeoutMillis);
      clock.nowMillis += latencyMillis;
      return answers[Math.min(next++, answers.length - 1)];
    },
    shutdown() {},
  };
}

const retryable = (retryInMillis?: number): ExportResponse => ({ status: 'retryable', retryInMillis, error: new Error('503') });
const success: ExportResponse = { status: 'success' };
const failure: ExportResponse = { status: 'failure', error: new Error('400') };
const data = new Uint8Array([1]);

describe('the retry policy', () => {
  it('backs off 1 s, 1.5 s, 2.25 s … (× 1.5), capped at 5 s, for at most 5 attempts', async () => {
    const clock = simulatedClock();
    const transport = scripted(clock, [retryable()]);
    const { response, attempts } = await new RetryingTransport(transport, DEFAULT_RETRY_POLICY, clock).send(data, clock.nowMillis + 60_000);
    expect(response.status).toBe('retryable');
    expect(attempts).toBe(5);
    expect(clock.sleeps).toEqual([1_000, 1_500, 2_250, 3_375]);
  });

  it('jitters each backoff by ±20 %, never beyond the cap', async () => {
    const low = simulatedClock(0);
    await new RetryingTransport(scripted(low, [retryable()]), DEFAULT_RETRY_POLICY, low).send(data, low.nowMillis + 60_000);
    expect(low.sleeps).toEqual([800, 1_200, 1_800, 2_700]);
    const high = simulatedClock(0.999_999);
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 7 };
    await new RetryingTransport(scripted(high, [retryable()]), policy, high).send(data, high.nowMillis + 60_000);
    expect(high.sleeps.map(Math.round)).toEqual([1_200, 1_800, 2_700, 4_050, 5_000, 5_000]);
  });

  it("waits the server's Retry-After instead of its own backoff", async () => {
    const clock = simulatedClock();
    const transport = scripted(clock, [retryable(3_000), retryable(250), success]);
    const { response, attempts } = await new RetryingTransport(transport, DEFAULT_RETRY_POLICY, clock).send(data, clock.nowMillis + 60_000);
    expect(response).toBe(success);
    expect(attempts).toBe(3);
    expect(clock.sleeps).toEqual([3_000, 250]);
  });

  it('never starts a retry whose wait would end past the deadline, and gives each attempt what is left of it', async () => {
    const clock = simulatedClock();
    const start = clock.nowMillis;
    const transport = scripted(clock, [retryable(), retryable(5_000)], 100);
    const { response, attempts } = await new RetryingTransport(transport, DEFAULT_RETRY_POLICY, clock).send(data, start + 3_000);
    // 100 ms, wait 1 s, 100 ms, then a Retry-After of 5 s would end past the deadline: returned as it is.
    expect(attempts).toBe(2);
    expect(response.status === 'retryable' && response.retryInMillis).toBe(5_000);
    expect(transport.timeouts).toEqual([3_000, 1_900]);
  });

  it('returns successes and permanent failures at once', async () => {
    for (const answer of [success, failure]) {
      const clock = simulatedClock();
      const { response, attempts } = await new RetryingTransport(scripted(clock, [answer]), DEFAULT_RETRY_POLICY, clock).send(
        data,
        clock.nowMillis + 10_000,
      );
      expect(response).toBe(answer);
      expect(attempts).toBe(1);
      expect(clock.sleeps).toEqual([]);
    }
  });
});

describe('Retry-After parsing', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');

  it('delta-seconds', () => {
    expect(retryAfterMillis('120', now)).toBe(120_000);
    expect(retryAfterMillis(' 3 ', now)).toBe(3_000);
    expect(retryAfterMillis('0', now)).toBe(0);
  });

  it('an HTTP date, relative to now; a date in the past is 0', () => {
    expect(retryAfterMillis('Wed, 02 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMillis('Wednesday, 02-Dec-26 10:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMillis('Tue, 01 Dec 2026 10:00:00 GMT', now)).toBe(0);
  });

  it('garbage or nothing: undefined (the client backs off on its own)', () => {
    for (const value of [undefined, '', 'soon', '-1', '1.5', '+3', '3 s', 'Wed, 99 Foo 2026'])
      expect(retryAfterMillis(value, now)).toBeUndefined();
  });
});
