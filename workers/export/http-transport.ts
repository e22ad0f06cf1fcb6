import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { type Clock, SYSTEM_CLOCK } from '../../src/contract/clock.js';
import { VERSION } from '../../src/contract/version.js';
import { HttpStatusError, RETRYABLE_STATUSES, retryAfterMillis, type Transport, type TransportResponse } from './otlp-http.js';

const gzipAsync = promisify(gzip);
/**
 * zlib's fastest level: OTLP bodies are label values repeated point after point, which level 1 already finds; the
 * default (6) cost several times the CPU for a few per cent fewer bytes (docs/benchmarks.md, "Export").
 */
const GZIP_LEVEL = 1;
/** A response body larger than this is not read (a misbehaving backend must not grow the worker's memory). */
const MAX_RESPONSE_BYTES = 1 << 20;

export interface HttpTransportOptions {
  url: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  /** The request body's encoding: application/x-protobuf or application/json. */
  contentType: string;
  /** Times each request out, and dates a Retry-After given as a date: the shard's clock (a test may steer it). */
  clock?: Clock;
}

/**
 * One OTLP/HTTP request per `send`, classified the way the OTLP specification says: 2xx is success (the body may
 * hold a partial success), 429/502/503/504 and network errors are retryable (with the server's Retry-After when it
 * gave one), anything else is a permanent failure that must not be retried. Gzip runs off the event loop's hot
 * path (zlib's thread pool); connections are kept alive.
 */
export class HttpTransport implements Transport {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly headers: Record<string, string>;
  private readonly clock: Clock;

  constructor(private readonly options: HttpTransportOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.url = new URL(options.url);
    const secure = this.url.protocol === 'https:';
    this.agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 2 }) : new HttpAgent({ keepAlive: true, maxSockets: 2 });
    this.headers = {
      ...options.headers,
      'Content-Type': options.contentType,
      'User-Agent': `ringmeter/${VERSION}`,
      ...(options.compression === 'gzip' ? { 'Content-Encoding': 'gzip' } : {}),
    };
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<TransportResponse> {
    const body = this.options.compression === 'gzip' ? await gzipAsync(data, { level: GZIP_LEVEL }) : data;
    const { clock } = this;
    return new Promise<TransportResponse>((resolve) => {
      // Whether the whole request reached the socket: a timeout after that may be a request the backend took.
      let sentWhole = false;
      const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...this.headers, 'Content-Length': String(body.byteLength) },
          // On the shard's clock, the time its deadline is on (system time, or a test's steered time).
          signal: clock.abortAfter(Math.max(1, timeoutMillis)),
        },
        (response) => {
          readBody(response).then(
            (responseBody) => resolve(classify(response, responseBody, clock.nowMillis())),
            (error: Error) => resolve({ status: 'retryable', error }),
          );
        },
      );
      request.on('finish', () => {
        sentWhole = true;
      });
      request.on('error', (error: Error & { code?: string }) => {
        // An abort is our own timeout: name it so, as the exporter would.
        const timedOut = error.name === 'AbortError' || error.code === 'ABORT_ERR';
        resolve({
          status: 'retryable',
          error: timedOut ? Object.assign(new Error('Request timed out'), { code: 'timeout', sentWhole }) : error,
        });
      });
      request.end(body);
    });
  }

  shutdown(): void {
    this.agent.destroy();
  }
}

/**
 * Whether a failed send timed out after its whole request had gone out: the backend may have taken it (the answer
 * came too late, or the client's timer ran before the socket's answer on a busy thread), so resending its data may
 * deliver it twice.
 */
export function timedOutAfterSending(response: TransportResponse): boolean {
  if (response.status !== 'retryable') return false;
  const error = response.error as (Error & { code?: unknown; sentWhole?: unknown }) | undefined;
  return error?.code === 'timeout' && error.sentWhole === true;
}

function readBody(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks)));
    response.on('error', reject);
  });
}

function classify(response: IncomingMessage, body: Buffer, nowMillis: number): TransportResponse {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status <= 299) return { status: 'success', data: body, contentType: response.headers['content-type'] };
  if (RETRYABLE_STATUSES.has(status)) {
    return {
      status: 'retryable',
      retryInMillis: retryAfterMillis(response.headers['retry-after'], nowMillis),
      error: new HttpStatusError(response.statusMessage ?? 'retryable status', status),
    };
  }
  return {
    status: 'failure',
    error: new HttpStatusError(response.statusMessage ?? 'export rejected', status, body.toString('utf8', 0, Math.min(body.length, 1_000))),
  };
}
