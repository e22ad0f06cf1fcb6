/** What the OTLP/HTTP specification fixes for a client, in one place for the transport, the sender and the self-metrics. */

/** The statuses a client may retry (with the server's Retry-After when it gives one); any other failure is final. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** The OpenTelemetry component type of the exporter ringmeter drives, for the otel.sdk.exporter.* self-metrics. */
export const COMPONENT_TYPE = 'otlp_http_metric_exporter';

/**
 * A Retry-After header as milliseconds from `nowMillis`: delta-seconds (`120`) or an HTTP date (a date in the past is 0);
 * undefined when absent or unreadable, in which case the client backs off on its own schedule.
 */
export function retryAfterMillis(value: string | undefined, nowMillis: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only the HTTP-date form (IMF-fixdate and its obsolete variants) has letters; a bare number with a sign or a point is garbage.
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis);
}

/** How one HTTP request ended, as the retry loop and the sender read it. */
export type TransportResponse =
  /** 2xx: `data` is the response body (it may hold a partial success), read by its `contentType`. */
  | { status: 'success'; data?: Uint8Array; contentType?: string }
  /** 429, 502, 503, 504, a network error or a timeout: `retryInMillis` is the server's Retry-After, when it gave one. */
  | { status: 'retryable'; error?: Error; retryInMillis?: number }
  /** Any other status: resending would fail the same way. */
  | { status: 'failure'; error: Error };

/** One request per `send`, within `timeoutMillis`. */
export interface Transport {
  send(data: Uint8Array, timeoutMillis: number): Promise<TransportResponse>;
  shutdown(): void;
}

/** An HTTP answer other than 2xx: its reason phrase as the message, the status as `code`, the start of the body as `data`. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';

  constructor(
    message: string,
    readonly code: number,
    readonly data?: string,
  ) {
    super(message);
  }
}
