import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

/** The official OTLP definitions (devDependency @otlp-proto/official, as test/support/otlp-proto.ts): protobuf bodies. */
const ExportMetricsServiceRequest = (
  createRequire(import.meta.url)('@otlp-proto/official/build/src/generated/root.js') as {
    opentelemetry: {
      proto: {
        collector: {
          metrics: {
            v1: Record<string, { decode(bytes: Uint8Array): object; toObject(m: object, o: object): Record<string, any> }>;
          };
        };
      };
    };
  }
).opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

/** A request body as OTLP/JSON-shaped objects: protobuf (by Content-Type) decoded with the official definitions, else JSON. */
function decodeBody(body: Buffer, contentType: string | undefined): any {
  if ((contentType ?? '').startsWith('application/x-protobuf'))
    return ExportMetricsServiceRequest.toObject(ExportMetricsServiceRequest.decode(body), { longs: String, enums: Number, json: true });
  return JSON.parse(body.toString('utf8'));
}

/**
 * A local OTLP/HTTP endpoint for benchmarks: accepts every request, decodes it (gunzip, then protobuf or JSON) as a real backend
 * would, and counts requests, data points and the sum of every http_requests_total point.
 */
export class CountingReceiver {
  requests = 0;
  points = 0;
  bytes = 0;
  httpRequestsTotal = 0;
  /** Every gauge value received, by `metric|process_type` (for app_cpu_usage_percent and the like). */
  readonly gauges = new Map<string, number[]>();
  private server: Server | undefined;

  /** Starts listening (on `port`, to come back where an earlier start was); returns the metrics URL. */
  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        this.bytes += raw.length;
        const body = decodeBody(req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw, req.headers['content-type']);
        this.requests++;
        // Count only what can be acknowledged: a client that gave up will send the data again.
        if (req.socket.destroyed) return;
        for (const resource of body.resourceMetrics ?? []) {
          for (const scope of resource.scopeMetrics ?? []) {
            for (const metric of scope.metrics ?? []) {
              const points = (metric.sum ?? metric.gauge ?? metric.histogram ?? metric.exponentialHistogram)?.dataPoints ?? [];
              this.points += points.length;
              if (metric.name === 'http_requests_total')
                for (const point of points) this.httpRequestsTotal += Number(point.asInt ?? point.asDouble ?? 0);
              if (metric.gauge !== undefined) {
                for (const point of points) {
                  const type = (point.attributes ?? []).find((a: { key: string }) => a.key === 'process_type')?.value?.stringValue ?? '';
                  const key = `${metric.name}|${type}`;
                  // Appended in place: copying the list per point made each request slower than the last (the
                  // tenant gauges add a thousand points per export), until exports timed out at the end of a run.
                  const values = this.gauges.get(key) ?? [];
                  if (values.length === 0) this.gauges.set(key, values);
                  values.push(Number(point.asDouble ?? point.asInt));
                }
              }
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1/metrics`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
