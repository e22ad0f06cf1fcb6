import { ExportResultCode } from '@opentelemetry/core';
import { AggregationTemporalityPreference, OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { errorMessage } from '../../src/redact.js';
import type { WorkerConfig } from '../../src/worker-config.js';

export type SendResult = { ok: true } | { ok: false; error: string; errorType: string };

/**
 * Sends one batch through @opentelemetry/exporter-metrics-otlp-http, which retries what the OTLP spec allows
 * (429, 502, 503, 504, network errors; Retry-After honoured) within `timeoutMillis`, then reports failure.
 * One request at a time: the shard serialises its exports, so a slow backend never piles requests up.
 */
export class OtlpSender {
  private readonly exporter: OTLPMetricExporter;

  constructor(otlp: WorkerConfig['otlp']) {
    this.exporter = new OTLPMetricExporter({
      url: otlp.endpoint,
      headers: otlp.headers,
      compression: otlp.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
      timeoutMillis: otlp.timeoutMillis,
      temporalityPreference: AggregationTemporalityPreference.DELTA,
    });
  }

  send(metrics: ResourceMetrics): Promise<SendResult> {
    return new Promise((resolve) => {
      this.exporter.export(metrics, (result) => {
        if (result.code === ExportResultCode.SUCCESS) resolve({ ok: true });
        else resolve({ ok: false, error: errorMessage(result.error ?? 'export failed'), errorType: errorType(result.error) });
      });
    });
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

/** The error.type attribute of a failed export: the HTTP status, or the error's code or name. */
function errorType(error: unknown): string {
  if (error === null || typeof error !== 'object') return 'unknown';
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'number') return String(code);
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' && name !== '' ? name : 'unknown';
}
