import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';

export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMillis: number;
  maxBackoffMillis: number;
  multiplier: number;
  /** Jitter as a share of the backoff: 0.2 spreads a 1 s backoff over 0.8–1.2 s. */
  jitter: number;
}

/** The OpenTelemetry exporters' own policy: 5 attempts, 1 s growing by 1.5× to 5 s, ±20 % jitter. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialBackoffMillis: 1_000, maxBackoffMillis: 5_000, multiplier: 1.5, jitter: 0.2 };

/** What happened to the last `send`, for the shard's bookkeeping. */
export interface SendReport {
  attempts: number;
  /** The last retryable answer's Retry-After: the next export must not start before it has passed. */
  retryAfterMillis: number | undefined;
}

/**
 * Retries a transport's retryable answers within the export deadline: Retry-After when the server gave one, else
 * exponential backoff with jitter. A retry that would end past the deadline is not attempted; the answer is
 * returned as retryable, with the Retry-After it carried, so that the caller keeps the data for a later export.
 * Permanent failures (400 and the like) and successes are returned at once.
 */
export class RetryingTransport implements IExporterTransport {
  lastReport: SendReport = { attempts: 0, retryAfterMillis: undefined };
  /** An absolute cap on the deadline of every send, for a shutdown that must finish in time. */
  deadlineCapMillis = Infinity;

  constructor(
    private readonly transport: IExporterTransport,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly random: () => number = Math.random,
    private readonly sleep: (millis: number) => Promise<void> = (millis) => new Promise((resolve) => setTimeout(resolve, millis)),
  ) {}

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const deadline = Math.min(Date.now() + timeoutMillis, this.deadlineCapMillis);
    let backoff = this.policy.initialBackoffMillis;
    let attempts = 0;
    for (;;) {
      attempts++;
      const response = await this.transport.send(data, Math.max(1, deadline - Date.now()));
      const retryAfter = response.status === 'retryable' ? response.retryInMillis : undefined;
      this.lastReport = { attempts, retryAfterMillis: retryAfter };
      if (response.status !== 'retryable' || attempts >= this.policy.maxAttempts) return response;
      const jittered = backoff * (1 + (this.random() * 2 - 1) * this.policy.jitter);
      const wait = retryAfter ?? Math.min(jittered, this.policy.maxBackoffMillis);
      if (Date.now() + wait >= deadline) return response;
      await this.sleep(wait);
      backoff = Math.min(backoff * this.policy.multiplier, this.policy.maxBackoffMillis);
    }
  }

  shutdown(): void {
    this.transport.shutdown();
  }
}
