import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

interface TenantRow {
  requests: number;
  errors: number;
  seconds: number;
  queries: number;
}

/**
 * A stand-in for SigNoz when none is running: receives ringmeter's OTLP/HTTP exports on localhost, decodes them
 * and keeps per-tenant totals to print.
 */
export class ConsoleReceiver {
  readonly tenants = new Map<string, TenantRow>();
  exports = 0;
  dataPoints = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        this.absorb(JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/metrics`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  table(): Array<Record<string, string | number>> {
    return [...this.tenants.entries()]
      .sort(([, a], [, b]) => b.requests - a.requests)
      .map(([tenant, row]) => ({
        tenant,
        requests: row.requests,
        '5xx': row.errors,
        'avg ms': row.requests === 0 ? 0 : Math.round((row.seconds / row.requests) * 10_000) / 10,
        queries: row.queries,
      }));
  }

  private absorb(body: any): void {
    this.exports++;
    for (const resource of body.resourceMetrics ?? []) {
      for (const scope of resource.scopeMetrics ?? []) {
        for (const metric of scope.metrics ?? []) {
          const points = (metric.sum ?? metric.gauge ?? metric.histogram)?.dataPoints ?? [];
          this.dataPoints += points.length;
          for (const point of points) {
            const labels = Object.fromEntries(
              (point.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]),
            );
            const tenant = labels.tenant_id as string | undefined;
            if (tenant === undefined) continue;
            const row = this.tenants.get(tenant) ?? { requests: 0, errors: 0, seconds: 0, queries: 0 };
            this.tenants.set(tenant, row);
            if (metric.name === 'http_requests_total') {
              row.requests += Number(point.asInt);
              if (Number(labels.status_code) >= 500) row.errors += Number(point.asInt);
            } else if (metric.name === 'http_request_duration_seconds') {
              row.seconds += point.sum;
            } else if (metric.name === 'db_queries_total') {
              row.queries += Number(point.asInt);
            }
          }
        }
      }
    }
  }
}
