import { type Clock, SYSTEM_CLOCK } from '../../src/contract/clock.js';
import type { WorkerConfig } from '../../src/contract/worker-config.js';
import { configuredSecrets, SecretScrubber } from '../../src/secrets/redact.js';
import { shownEndpoint } from '../../src/secrets/shown-endpoint.js';
import type { Batch } from './collection.js';
import { HttpTransport } from './http-transport.js';
import { HttpStatusError, RETRYABLE_STATUSES, type TransportResponse } from './otlp-http.js';
import { AttributeEncoder } from './otlp/attributes.js';
import { JsonMetricsWriter } from './otlp/json-writer.js';
import { type MetricsWriter, type WireFormat, type WriterIdentity, wireFormatOf } from './otlp/metrics-writer.js';
import { ProtobufMetricsWriter } from './otlp/protobuf-writer.js';
import { writeRequestBody } from './otlp/request-body.js';
import { decodeExportResponse } from './otlp/response-decoder.js';
import { RetryingTransport, retryClock } from './retrying-transport.js';

/**
 * How one export request ended, as the shard must act on it. `timedOutAfterSending`: an attempt timed out after its
 * whole request had gone out, so the backend may have taken it; data sent again after that may arrive twice.
 */
export type SendResult =
  /** The backend took the batch; `rejectedPoints` of it it refused for good (an OTLP partial success). */
  | { outcome: 'accepted'; attempts: number; timedOutAfterSending: boolean; rejectedPoints: number; rejection: string | undefined }
  /*
   * `error` and `rejection` are safe to show: every configured header value and URL secret is scrubbed from them
   * (a backend may echo the key it refused), and `error` starts with the URL tried, without its credentials.
   */
  /** Worth retrying (429, 502, 503, 504, a network error or timeout): keep the data for the next export. */
  | {
      outcome: 'retryable';
      attempts: number;
      timedOutAfterSending: boolean;
      error: string;
      errorType: string;
      retryAfterMillis: number | undefined;
    }
  /** Refused for good (400 and the like): resending it would fail the same way. */
  | { outcome: 'rejected'; attempts: number; timedOutAfterSending: boolean; error: string; errorType: string };

/**
 * The OTLP exporter of a shard: one export path, a batch of collected data points → a MetricsWriter (protobuf or
 * JSON, straight from the points) → the retrying transport → the HTTP transport (gzip, one request per attempt).
 * Every answer is read here, so the shard learns the status, the Retry-After and the partial success of each
 * request, which it needs in order to keep, drop or count data correctly.
 */
export class OtlpSender {
  private readonly transport: RetryingTransport;
  private readonly writer: MetricsWriter;
  private readonly scrubber: SecretScrubber;
  /** The endpoint as messages name it: scheme, host and path (no user info, no query string). */
  readonly shownUrl: string;

  /** `clock`: the shard's, which times the requests out and the retries' waits (a test may steer it). */
  constructor(otlp: WorkerConfig['otlp'], identity: WriterIdentity, clock: Clock = SYSTEM_CLOCK) {
    this.scrubber = new SecretScrubber(configuredSecrets(otlp));
    this.shownUrl = shownEndpoint(otlp.endpoint);
    this.writer = makeWriter(wireFormatOf(otlp.protocol), identity);
    const { endpoint: url, headers, compression } = otlp;
    this.transport = new RetryingTransport(
      new HttpTransport({ url, headers, compression, contentType: this.writer.contentType, clock }),
      undefined,
      retryClock(clock),
    );
  }

  /**
   * Sends one batch, retrying what may be retried until `deadlineMillis` (ms since the epoch). `encoder`: the
   * attribute cache of the export the batch belongs to (one per export: the same label values repeat from batch to
   * batch; kept across exports it would hold every tenant id ever exported, outside maxMemoryBytes:
   * test/memory-bound.test.ts).
   */
  async send(batch: Batch, deadlineMillis: number, encoder: AttributeEncoder = new AttributeEncoder()): Promise<SendResult> {
    let body: Uint8Array;
    try {
      body = writeRequestBody(batch, this.writer, encoder);
    } catch (error) {
      // A point the writer cannot encode is our bug, never the backend's: the batch would fail the same way again.
      this.writer.finish();
      return {
        outcome: 'rejected',
        attempts: 0,
        timedOutAfterSending: false,
        error: `${this.shownUrl}: ${this.scrubber.errorMessage(error)}`,
        errorType: errorType(error),
      };
    }
    let attempts = 0;
    let timedOutAfterSending = false;
    let response: TransportResponse;
    try {
      ({ response, attempts, timedOutAfterSending } = await this.transport.send(body, deadlineMillis));
    } catch (error) {
      response = { status: 'retryable', error: error as Error };
    }
    return this.outcomeOf(response, attempts, timedOutAfterSending);
  }

  shutdown(): Promise<void> {
    this.transport.shutdown();
    return Promise.resolve();
  }

  /** The shard's view of a finished request. */
  private outcomeOf(response: TransportResponse, attempts: number, timedOutAfterSending: boolean): SendResult {
    if (response.status === 'success') {
      const summary = decodeExportResponse(response.data ?? new Uint8Array(0), response.contentType, this.writer.format);
      return {
        outcome: 'accepted',
        attempts,
        timedOutAfterSending,
        rejectedPoints: summary.rejectedDataPoints,
        rejection: summary.errorMessage ? this.scrubber.scrub(summary.errorMessage) : undefined,
      };
    }
    const error = response.error;
    const status = error instanceof HttpStatusError ? error.code : undefined;
    const failure = {
      attempts,
      timedOutAfterSending,
      error: `${this.shownUrl}: ${describe(error, status, this.scrubber)}`,
      errorType: errorType(error, status),
    };
    if (status !== undefined && !RETRYABLE_STATUSES.has(status)) return { outcome: 'rejected', ...failure };
    const retryAfterMillis = response.status === 'retryable' ? response.retryInMillis : undefined;
    return { outcome: 'retryable', ...failure, retryAfterMillis };
  }
}

function makeWriter(format: WireFormat, identity: WriterIdentity): MetricsWriter {
  return format === 'json' ? new JsonMetricsWriter(identity) : new ProtobufMetricsWriter(identity);
}

function describe(error: unknown, status: number | undefined, scrubber: SecretScrubber): string {
  const message = scrubber.errorMessage(error ?? 'export failed');
  return status === undefined ? message : `HTTP ${status} ${message}`;
}

/** The error.type attribute of a failed export: the HTTP status, or the error's code or name. */
function errorType(error: unknown, status?: number): string {
  if (status !== undefined) return String(status);
  if (error === null || typeof error !== 'object') return 'unknown';
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' && name !== '' ? name : 'unknown';
}
