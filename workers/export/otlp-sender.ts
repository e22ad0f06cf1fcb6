import { ExportResultCode } from '@opentelemetry/core';
import { AggregationTemporalityPreference, OTLPMetricExporterBase } from '@opentelemetry/exporter-metrics-otlp-http';
import { createOtlpNetworkExportDelegate, ExporterMetrics, OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { JsonMetricsSerializer, MetricsExporterMetricsHelper, type IExportMetricsPartialSuccess, type IExportMetricsServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { errorMessage } from '../../src/redact.js';
import type { WorkerConfig } from '../../src/worker-config.js';
import { HttpTransport } from './http-transport.js';
import { RetryingTransport } from './retrying-transport.js';

/** How one export request ended, as the shard must act on it. */
export type SendResult =
  /** The backend took the batch; `rejectedPoints` of it it refused for good (an OTLP partial success). */
  | { outcome: 'accepted'; attempts: number; rejectedPoints: number; rejection: string | undefined }
  /** Worth retrying (429, 502, 503, 504, a network error or timeout): keep the data for the next export. */
  | { outcome: 'retryable'; attempts: number; error: string; errorType: string; retryAfterMillis: number | undefined }
  /** Refused for good (400 and the like): resending it would fail the same way. */
  | { outcome: 'rejected'; attempts: number; error: string; errorType: string };

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
export const COMPONENT_TYPE = 'otlp_http_metric_exporter';

/**
 * Sends batches through @opentelemetry/exporter-metrics-otlp-http's exporter (OTLPMetricExporterBase and the
 * OTLP export delegate, JSON encoding), over a transport of our own (http-transport.ts + retrying-transport.ts):
 * the stock one retries well but then hides the status, the Retry-After and the partial success, all of which the
 * shard needs in order to keep, drop or count data correctly.
 */
export class OtlpSender {
  private readonly exporter: OTLPMetricExporterBase;
  private readonly transport: RetryingTransport;
  private partialSuccess: IExportMetricsPartialSuccess | undefined;

  constructor(otlp: WorkerConfig['otlp']) {
    this.transport = new RetryingTransport(new HttpTransport({ url: otlp.endpoint, headers: otlp.headers, compression: otlp.compression }));
    const serializer: ISerializer<ResourceMetrics, IExportMetricsServiceResponse> = {
      serializeRequest: (request) => JsonMetricsSerializer.serializeRequest(request),
      deserializeResponse: (data) => {
        const response = JsonMetricsSerializer.deserializeResponse(data);
        this.partialSuccess = response.partialSuccess;
        return response;
      },
    };
    const delegate = createOtlpNetworkExportDelegate(
      { timeoutMillis: otlp.timeoutMillis, concurrencyLimit: 2, compression: otlp.compression },
      serializer,
      // No meter provider: a no-op; the shard counts the exporter's results itself (self-metrics.ts).
      new ExporterMetrics({ componentType: COMPONENT_TYPE, metricsHelper: MetricsExporterMetricsHelper, url: otlp.endpoint, meterProvider: undefined, responseAttributesFromError: () => ({}) }),
      this.transport,
    );
    this.exporter = new OTLPMetricExporterBase(delegate, { temporalityPreference: AggregationTemporalityPreference.DELTA });
  }

  /** Caps every request's deadline (retries included) at this time; for a shutdown with a deadline. */
  capDeadline(epochMillis: number): void {
    this.transport.deadlineCapMillis = epochMillis;
  }

  send(metrics: ResourceMetrics): Promise<SendResult> {
    this.partialSuccess = undefined;
    return new Promise((resolve) => {
      this.exporter.export(metrics, (result) => {
        const attempts = this.transport.lastReport.attempts;
        if (result.code === ExportResultCode.SUCCESS) {
          const rejectedPoints = Number(this.partialSuccess?.rejectedDataPoints ?? 0);
          const rejection = this.partialSuccess?.errorMessage;
          resolve({ outcome: 'accepted', attempts, rejectedPoints: Number.isFinite(rejectedPoints) ? rejectedPoints : 0, rejection: rejection ? errorMessage(rejection) : undefined });
          return;
        }
        const error = result.error;
        const status = error instanceof OTLPExporterError && typeof error.code === 'number' ? error.code : undefined;
        const failure = { attempts, error: describe(error, status), errorType: errorType(error, status) };
        if (status !== undefined && !RETRYABLE_STATUSES.has(status)) resolve({ outcome: 'rejected', ...failure });
        else resolve({ outcome: 'retryable', ...failure, retryAfterMillis: this.transport.lastReport.retryAfterMillis });
      });
    });
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

function describe(error: unknown, status: number | undefined): string {
  const message = errorMessage(error ?? 'export failed');
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
