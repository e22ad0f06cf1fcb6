import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeMetricsRequest, isProtobuf } from './otlp-proto.js';

/** One data point as the receiver decoded it from the OTLP/HTTP body (JSON or protobuf). */
export interface ReceivedPoint {
  metric: string;
  unit: string;
  type: 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram';
  temporality?: number;
  isMonotonic?: boolean;
  attributes: Record<string, string | number | boolean>;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  value?: number;
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
  /** Exponential histograms: scale, zero bucket and the positive range (bucket offset + i holds positiveBucketCounts[i]). */
  scale?: number;
  zeroCount?: number;
  positiveOffset?: number;
  positiveBucketCounts?: number[];
}

export interface ReceivedRequest {
  /** The request path and query string, e.g. /v1/metrics. */
  path: string;
  headers: IncomingMessage['headers'];
  resource: Record<string, string | number | boolean>;
  points: ReceivedPoint[];
}

/**
 * What the receiver answers; the default is 200 with an empty JSON body. `statusText`: the reason phrase; `body` may
 * be bytes (protobuf). The answer waits `delayMillis` of real time, or until `after` settles (a test moving a
 * steered time meanwhile: the answer then comes that much later on the exporter's clock, whatever the machine's speed).
 */
export type Responder = (request: ReceivedRequest, index: number) => Answer | 'reset';

interface Answer {
  status: number;
  statusText?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  delayMillis?: number;
  after?: Promise<unknown>;
}

/**
 * A local OTLP/HTTP metrics receiver for tests: it gunzips and decodes the real request body the exporter sends
 * and keeps every request. The body is decoded by its Content-Type: application/x-protobuf with the official OTLP
 * definitions (otlp-proto.ts), anything else as OTLP JSON. Faults are injected with `respond`.
 */
export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: Responder = () => ({ status: 200, body: '{}' });
  private server: Server | undefined;
  private port = 0;
  private received = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/metrics`;
  }

  /** Every data point of every accepted request (status 200), in arrival order. */
  get points(): ReceivedPoint[] {
    return this.accepted.flatMap((request) => request.points);
  }

  readonly accepted: ReceivedRequest[] = [];

  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  clear(): void {
    this.requests.length = 0;
    this.accepted.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const message = isProtobuf(req.headers['content-type']) ? decodeMetricsRequest(body) : JSON.parse(body.toString('utf8'));
    const request = decode(req.url ?? '', req.headers, message);
    this.requests.push(request);
    const answer = this.respond(request, this.received++);
    if (answer === 'reset') {
      req.socket.destroy();
      return;
    }
    if (answer.delayMillis !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMillis));
    await answer.after;
    // A backend commits what it could acknowledge: a client that gave up (timed out) will send the data again.
    if (req.socket.destroyed) return;
    if (answer.status === 200) this.accepted.push(request);
    if (answer.statusText !== undefined)
      res.writeHead(answer.status, answer.statusText, { 'content-type': 'application/json', ...answer.headers });
    else res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body ?? '{}');
  }
}

type JsonValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type JsonAttribute = { key: string; value: JsonValue };

function attributes(list: JsonAttribute[] | undefined): Record<string, string | number | boolean> {
  const result: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    if (value.stringValue !== undefined) result[key] = value.stringValue;
    else if (value.intValue !== undefined) result[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) result[key] = value.doubleValue;
    else if (value.boolValue !== undefined) result[key] = value.boolValue;
  }
  return result;
}

const nanos = (value: string | number | undefined) => BigInt(value ?? 0);
const numeric = (value: string | number | undefined) => (value === undefined ? undefined : Number(value));

function decode(path: string, headers: IncomingMessage['headers'], body: any): ReceivedRequest {
  const points: ReceivedPoint[] = [];
  let resource = {};
  for (const resourceMetrics of body.resourceMetrics ?? []) {
    resource = attributes(resourceMetrics.resource?.attributes);
    for (const scope of resourceMetrics.scopeMetrics ?? []) {
      for (const metric of scope.metrics ?? []) {
        const base = { metric: metric.name as string, unit: metric.unit as string };
        for (const type of ['sum', 'gauge', 'histogram', 'exponentialHistogram'] as const) {
          const data = metric[type];
          if (data === undefined) continue;
          for (const point of data.dataPoints ?? []) {
            points.push({
              ...base,
              type,
              temporality: data.aggregationTemporality,
              isMonotonic: data.isMonotonic,
              attributes: attributes(point.attributes),
              startTimeUnixNano: nanos(point.startTimeUnixNano),
              timeUnixNano: nanos(point.timeUnixNano),
              value: numeric(point.asDouble ?? point.asInt),
              count: numeric(point.count),
              sum: point.sum,
              min: point.min,
              max: point.max,
              bucketCounts: point.bucketCounts?.map(Number),
              explicitBounds: point.explicitBounds,
              ...(type === 'exponentialHistogram'
                ? {
                    scale: point.scale ?? 0,
                    zeroCount: Number(point.zeroCount ?? 0),
                    positiveOffset: point.positive?.offset ?? 0,
                    positiveBucketCounts: (point.positive?.bucketCounts ?? []).map(Number),
                  }
                : {}),
            });
          }
        }
      }
    }
  }
  return { path, headers, resource, points };
}
