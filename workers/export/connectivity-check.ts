import { configuredSecrets, SecretScrubber } from '../../src/secrets/redact.js';
import { shownEndpoint } from '../../src/secrets/shown-endpoint.js';
import type { WorkerConfig } from '../../src/contract/worker-config.js';
import { HttpTransport } from './http-transport.js';
import { CONTENT_TYPES, type WireFormat, wireFormatOf } from './otlp/metrics-writer.js';

/** An OTLP/HTTP export with no data, per encoding (an empty message is no bytes in protobuf): valid for any receiver, it changes nothing there. */
const EMPTY_EXPORT: Readonly<Record<WireFormat, Uint8Array>> = {
  protobuf: new Uint8Array(0),
  json: new TextEncoder().encode('{"resourceMetrics":[]}'),
};
/** The check waits at most this long (or the export timeout, if shorter): it reports, it must not hold anything up. */
const CHECK_TIMEOUT_MILLIS = 5_000;

export type ConnectivityResult = { ok: true } | { ok: false; error: string };

/**
 * Whether `otlp.endpoint` answers an export: one empty export in the configured protocol, with the configured headers and compression, no
 * retry. A 2xx proves the receiver is there and takes our credentials; any other status or a network error is
 * reported with the URL tried (without its user info or query string), every configured header value and URL
 * secret scrubbed from what the backend said.
 */
export async function checkConnectivity(otlp: WorkerConfig['otlp']): Promise<ConnectivityResult> {
  const format = wireFormatOf(otlp.protocol);
  const transport = new HttpTransport({
    url: otlp.endpoint,
    headers: otlp.headers,
    compression: otlp.compression,
    contentType: CONTENT_TYPES[format],
  });
  const scrubber = new SecretScrubber(configuredSecrets(otlp));
  const said = (text: string) => `${shownEndpoint(otlp.endpoint)}: ${scrubber.scrub(text)}`;
  try {
    const response = await transport.send(EMPTY_EXPORT[format], Math.min(otlp.timeoutMillis, CHECK_TIMEOUT_MILLIS));
    if (response.status === 'success') return { ok: true };
    const { error } = response;
    const code = (error as { code?: unknown } | undefined)?.code;
    const message = error instanceof Error ? error.message || error.name : String(error ?? 'no answer');
    return { ok: false, error: said(typeof code === 'number' ? `HTTP ${code} ${message}` : message) };
  } catch (error) {
    return { ok: false, error: said(error instanceof Error ? error.message || error.name : String(error)) };
  } finally {
    transport.shutdown();
  }
}
