import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

/** What one tenant did in one interval, from the metrics of the exports received in it. */
export interface TenantInterval {
  requests: number;
  clientErrors: number;
  serverErrors: number;
  requestSeconds: number;
  queries: number;
  failedQueries: number;
  commits: number;
  rollbacks: number;
}

/** Bodies beyond this are refused (413): ringmeter's gzip batches stay far below it. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const PATH = '/v1/metrics';

/**
 * A stand-in for SigNoz when none is running: receives ringmeter's OTLP/HTTP JSON exports on localhost, decodes
 * them and keeps per-tenant figures per interval, for the demo to print. It answers anything else it is sent
 * (another path or method, a body that is not gzip or not JSON, a huge one) with a 4xx and carries on: nothing a
 * client sends can throw out of a handler.
 */
export class ConsoleReceiver {
  /** Exports received, and requests refused, since start. */
  exports = 0;
  refused = 0;
  private interval = new Map<string, TenantInterval>();
  private server: Server | undefined;

  /** Listens on an ephemeral localhost port; returns the URL to export to. */
  async start(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    // A broken connection (a client gone mid-body, a socket error) ends that exchange, never the process.
    server.on('clientError', (_error, socket) => socket.destroy());
    // Idle keep-alive sockets stay open longer than the exporter leaves them idle: a server closing one just as
    // the exporter reuses it is a reset the exporter sees (Node's default is 5 s, near a slow machine's interval).
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.on('error', () => {});
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The per-tenant figures received since the last call, busiest tenant first; starts a new interval. */
  drain(): Array<[string, TenantInterval]> {
    const rows = [...this.interval.entries()].sort(([, a], [, b]) => b.requests - a.requests);
    this.interval = new Map();
    return rows;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', () => {});
    res.on('error', () => {});
    if (req.url !== PATH || req.method !== 'POST') {
      this.refuse(req, res, req.url !== PATH ? 404 : 405, req.url !== PATH ? 'not found' : 'method not allowed');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        this.refuse(req, res, 413, 'body too large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return;
      void this.absorbBody(req, Buffer.concat(chunks)).then(
        () => {
          this.exports++;
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        },
        () => this.refuse(req, res, 400, 'not an OTLP/HTTP JSON metrics body'),
      );
    });
  }

  /** Answers with a 4xx and closes the connection once the answer is out (the rest of a body is not read). */
  private refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
    this.refused++;
    if (res.headersSent) return;
    res.on('finish', () => req.destroy());
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: message }));
  }

  private async absorbBody(req: IncomingMessage, raw: Buffer): Promise<void> {
    const text = (
      req.headers['content-encoding'] === 'gzip' ? await gunzipAsync(raw, { maxOutputLength: 8 * MAX_BODY_BYTES }) : raw
    ).toString('utf8');
    const body: unknown = JSON.parse(text);
    if (body === null || typeof body !== 'object' || !Array.isArray((body as OtlpBody).resourceMetrics))
      throw new TypeError('no resourceMetrics');
    for (const resource of (body as OtlpBody).resourceMetrics) {
      for (const scope of arrayOf(resource?.scopeMetrics)) {
        for (const metric of arrayOf(scope?.metrics)) this.absorbMetric(metric);
      }
    }
  }

  private absorbMetric(metric: OtlpMetric): void {
    const points = arrayOf((metric?.sum ?? metric?.gauge ?? metric?.histogram)?.dataPoints);
    for (const point of points) {
      const labels = new Map(arrayOf(point?.attributes).map((attribute) => [attribute?.key, attributeValue(attribute?.value)]));
      const tenant = labels.get('tenant_id');
      if (typeof tenant !== 'string') continue;
      let row = this.interval.get(tenant);
      if (row === undefined) {
        row = { requests: 0, clientErrors: 0, serverErrors: 0, requestSeconds: 0, queries: 0, failedQueries: 0, commits: 0, rollbacks: 0 };
        this.interval.set(tenant, row);
      }
      const value = Number(point.asInt ?? point.asDouble ?? 0);
      switch (metric.name) {
        case 'http_requests_total': {
          const status = Number(labels.get('status_code'));
          row.requests += value;
          if (status >= 500) row.serverErrors += value;
          else if (status >= 400) row.clientErrors += value;
          break;
        }
        case 'http_request_duration_seconds':
          row.requestSeconds += Number(point.sum ?? 0);
          break;
        case 'db_queries_total':
          row.queries += value;
          if (labels.get('success') === 'false') row.failedQueries += value;
          break;
        case 'db_transactions_total':
          if (labels.get('status') === 'commit') row.commits += value;
          else row.rollbacks += value;
          break;
      }
    }
  }
}

/** The parts of an OTLP JSON body read here; everything is checked as it is read (the body is untrusted). */
interface OtlpBody {
  resourceMetrics: Array<{ scopeMetrics?: Array<{ metrics?: OtlpMetric[] }> }>;
}

interface OtlpMetric {
  name?: string;
  sum?: { dataPoints?: OtlpPoint[] };
  gauge?: { dataPoints?: OtlpPoint[] };
  histogram?: { dataPoints?: OtlpPoint[] };
}

interface OtlpPoint {
  attributes?: Array<{ key?: string; value?: Record<string, unknown> }>;
  asInt?: string | number;
  asDouble?: number;
  sum?: number;
}

function arrayOf<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

function attributeValue(value: Record<string, unknown> | undefined): unknown {
  return value !== null && typeof value === 'object' ? Object.values(value)[0] : undefined;
}
