import { ExportResultCode } from '@opentelemetry/core';
import { AggregationTemporalityPreference, OTLPMetricExporterBase } from '@opentelemetry/exporter-metrics-otlp-http';
import {
  createOtlpNetworkExportDelegate,
  ExporterMetrics,
  OTLPExporterError,
  type IExporterTransport,
} from '@opentelemetry/otlp-exporter-base';
import {
  JsonMetricsSerializer,
  MetricsExporterMetricsHelper,
  type IExportMetricsPartialSuccess,
  type IExportMetricsServiceResponse,
  type ISerializer,
} from '@opentelemetry/otlp-transformer';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { configuredSecrets, SecretScrubber } from '../../src/secrets/redact.js';
import { shownEndpoint } from '../../src/secrets/shown-endpoint.js';
import type { WorkerConfig } from '../../src/contract/worker-config.js';
import { HttpTransport } from './http-transport.js';
import { COMPONENT_TYPE, RETRYABLE_STATUSES } from './otlp-http.js';
import { type RetriedResponse, RetryingTransport, type RetryClock, SYSTEM_RETRY_CLOCK } from './retrying-transport.js';

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

/** What one request met on its way through the exporter: filled in by the transport and the serializer. */
interface RequestTrace {
  readonly deadlineMillis: number;
  retried?: RetriedResponse;
  partialSuccess?: IExportMetricsPartialSuccess;
}

/**
 * Sends batches through @opentelemetry/exporter-metrics-otlp-http's exporter (OTLPMetricExporterBase and the OTLP
 * export delegate, JSON encoding), over a transport of our own (http-transport.ts + retrying-transport.ts): the
 * stock one retries well but then hides the status, the Retry-After and the partial success, all of which the shard
 * needs in order to keep, drop or count data correctly.
 *
 * The exporter hands back only success or failure, so each request carries a trace of its own through it: the
 * delegate serialises the ResourceMetrics synchronously, passes the very bytes to the transport and the very response
 * body to the deserialiser, so the trace follows those objects by identity (WeakMaps; nothing is shared between
 * requests, and nothing outlives them).
 */
export class OtlpSender {
  private readonly exporter: OTLPMetricExporterBase;
  private readonly transport: RetryingTransport;
  private readonly byMetrics = new WeakMap<ResourceMetrics, RequestTrace>();
  private readonly byRequestBody = new WeakMap<Uint8Array, RequestTrace>();
  private readonly byResponseBody = new WeakMap<Uint8Array, RequestTrace>();
  private readonly scrubber: SecretScrubber;
  /** The endpoint as messages name it: scheme, host and path (no user info, no query string). */
  readonly shownUrl: string;

  constructor(otlp: WorkerConfig['otlp'], clock: RetryClock = SYSTEM_RETRY_CLOCK) {
    this.scrubber = new SecretScrubber(configuredSecrets(otlp));
    this.shownUrl = shownEndpoint(otlp.endpoint);
    this.transport = new RetryingTransport(
      new HttpTransport({ url: otlp.endpoint, headers: otlp.headers, compression: otlp.compression }),
      undefined,
      clock,
    );
    const serializer: ISerializer<ResourceMetrics, IExportMetricsServiceResponse> = {
      serializeRequest: (metrics) => {
        const body = JsonMetricsSerializer.serializeRequest(metrics);
        const trace = this.byMetrics.get(metrics);
        if (body !== undefined && trace !== undefined) this.byRequestBody.set(body, trace);
        return body;
      },
      deserializeResponse: (body) => {
        const response = JsonMetricsSerializer.deserializeResponse(body);
        const trace = this.byResponseBody.get(body);
        if (trace !== undefined) trace.partialSuccess = response.partialSuccess;
        return response;
      },
    };
    const tracing: IExporterTransport = {
      send: async (body) => {
        const trace = this.byRequestBody.get(body);
        // Every body comes from serializeRequest above, so a trace is always there; the fallback is a plain deadline.
        const retried = await this.transport.send(body, trace?.deadlineMillis ?? clock.now() + otlp.timeoutMillis);
        if (trace !== undefined) trace.retried = retried;
        const { response } = retried;
        if (response.status === 'success' && response.data !== undefined && trace !== undefined)
          this.byResponseBody.set(response.data, trace);
        return response;
      },
      shutdown: () => this.transport.shutdown(),
    };
    // The shard sends one request at a time and waits for its result; but the delegate takes a finished request off
    // its queue only a microtask after reporting it, by when the shard may have sent the next batch: hence two.
    const delegate = createOtlpNetworkExportDelegate(
      { timeoutMillis: otlp.timeoutMillis, concurrencyLimit: 2, compression: otlp.compression },
      serializer,
      // No meter provider: a no-op; the shard counts the exporter's results itself (self-metrics.ts).
      new ExporterMetrics({
        componentType: COMPONENT_TYPE,
        metricsHelper: MetricsExporterMetricsHelper,
        url: otlp.endpoint,
        meterProvider: undefined,
        responseAttributesFromError: () => ({}),
      }),
      tracing,
    );
    this.exporter = new OTLPMetricExporterBase(delegate, { temporalityPreference: AggregationTemporalityPreference.DELTA });
  }

  /** Sends one batch, retrying what may be retried until `deadlineMillis` (ms since the epoch). */
  send(metrics: ResourceMetrics, deadlineMillis: number): Promise<SendResult> {
    const trace: RequestTrace = { deadlineMillis };
    this.byMetrics.set(metrics, trace);
    return new Promise((resolve) => {
      this.exporter.export(metrics, (result) =>
        resolve(outcomeOf(trace, result.code === ExportResultCode.SUCCESS, result.error, this.scrubber, this.shownUrl)),
      );
    });
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

/** The shard's view of a finished request, from what its trace recorded (and the exporter's own error, if it never sent). */
function outcomeOf(trace: RequestTrace, succeeded: boolean, exporterError: unknown, scrubber: SecretScrubber, url: string): SendResult {
  const attempts = trace.retried?.attempts ?? 0;
  const timedOutAfterSending = trace.retried?.timedOutAfterSending ?? false;
  const response = trace.retried?.response;
  if (succeeded) {
    const rejected = Number(trace.partialSuccess?.rejectedDataPoints ?? 0);
    const rejection = trace.partialSuccess?.errorMessage;
    return {
      outcome: 'accepted',
      attempts,
      timedOutAfterSending,
      rejectedPoints: Number.isFinite(rejected) ? rejected : 0,
      rejection: rejection ? scrubber.scrub(rejection) : undefined,
    };
  }
  const error = response !== undefined && response.status !== 'success' ? response.error : exporterError;
  const status = error instanceof OTLPExporterError && typeof error.code === 'number' ? error.code : undefined;
  const failure = {
    attempts,
    timedOutAfterSending,
    error: `${url}: ${describe(error, status, scrubber)}`,
    errorType: errorType(error, status),
  };
  if (status !== undefined && !RETRYABLE_STATUSES.has(status)) return { outcome: 'rejected', ...failure };
  const retryAfterMillis = response?.status === 'retryable' ? response.retryInMillis : undefined;
  return { outcome: 'retryable', ...failure, retryAfterMillis };
}

function describe(error: unknown, status: number | undefined, scrubber: SecretScrubber): string {
  const message = scrubber.errorMessage(error ?? 'export failed');
  return status === undefined ? message : `HTTP ${status} ${message}`;
}

/** The error.type attribute of a failed export: the HTTP status, or the error's code or name. */
function errorType(error: unknown, status: number | undefined): string {
  if (status !== undefined) return String(status);
  if (error === null || typeof error !== 'object') return 'unknown';
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' && name !== '' ? name : 'unknown';
}
