import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { expressMetrics, untracked } from 'ringmeter/express';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { pointsNamed, startPipeline, valuesByLabels, waitFor } from './support/harness.js';
import { exchange, recordsTaken } from './support/http-client.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';

async function listen(app: express.Express): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const series = (method: string, route: string, status: number, tenant: string) =>
  `method=${method},route=${route},status_code=${status},tenant_id=${tenant}`;

describe('expressMetrics on a real Express 5 server', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let server: { port: number; close(): Promise<void> };

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
    const app = express();
    app.use(expressMetrics(collector));
    app.get(
      '/health',
      untracked((_req, res) => void res.send('ok')),
    );
    const orders = express.Router();
    orders.get('/orders/:id', (req, res) => void res.json({ id: req.params.id }));
    orders.post('/orders', express.json(), (req, res) => void res.status(201).json({ created: req.body, note: 'ünïcödé ✓' }));
    orders.get('/', (_req, res) => void res.send('api root'));
    const api = express.Router();
    api.use(orders);
    app.use('/api', api);
    const projects = express.Router({ mergeParams: true });
    projects.get('/projects/:projectId', (req, res) => void res.send(`project ${req.params.projectId}`));
    const v1 = express.Router();
    v1.use('/tenants/:tenantId', projects);
    app.use('/v1', v1);
    app.get('/sync-throw', () => {
      throw new Error('handler failed');
    });
    app.get('/async-throw', async () => {
      await Promise.resolve();
      throw new Error('async handler failed');
    });
    server = await listen(app);
  });

  afterAll(async () => {
    await server.close();
    await collector.shutdown();
    await receiver.stop();
  });

  it('records route patterns with mount paths, 404 as unmatched, throws as 500, per tenant, and exact bytes', async () => {
    const acme = { 'x-tenant-id': 'acme' };
    const plan: Array<[string, string, number, Record<string, string>?]> = [
      ['GET', '/api/orders/1', 200, acme],
      ['GET', '/api/orders/2', 200, acme],
      ['GET', '/api/orders/3', 200, { 'x-tenant-id': 'globex' }],
      ['GET', '/api', 200, acme],
      ['GET', '/v1/tenants/acme/projects/7', 200, acme],
      ['GET', '/v1/tenants/globex/projects/8', 200, acme],
      ['GET', '/nowhere', 404, acme],
      ['GET', '/api/nowhere', 404, acme],
      ['GET', '/sync-throw', 500, acme],
      ['GET', '/async-throw', 500, acme],
      ['GET', '/health', 200, acme],
      ['GET', '/api/orders/4', 200, undefined],
      ['GET', '/api/orders/5', 200, { 'x-tenant-id': '' }],
      ['GET', '/api/orders/6', 200, { 'x-tenant-id': 'system' }],
      ['GET', '/api/orders/7', 200, { 'x-tenant-id': 'tab\there' }],
    ];
    const before = recordsTaken(collector);
    for (const [method, path, status, headers] of plan) {
      const response = await exchange(server.port, method, path, { headers });
      expect(response.status, `${method} ${path}`).toBe(status);
    }
    // /health is marked untracked(): not recorded.
    await waitFor(() => recordsTaken(collector) - before === plan.length - 1, 10_000, 'records');
    await collector.flush();
    expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual({
      [series('GET', '/api/orders/:id', 200, 'acme')]: 2,
      [series('GET', '/api/orders/:id', 200, 'globex')]: 1,
      [series('GET', '/api', 200, 'acme')]: 1,
      [series('GET', '/v1/tenants/:tenantId/projects/:projectId', 200, 'acme')]: 2,
      [series('GET', 'unmatched', 404, 'acme')]: 2,
      [series('GET', '/sync-throw', 500, 'acme')]: 1,
      [series('GET', '/async-throw', 500, 'acme')]: 1,
      [series('GET', '/api/orders/:id', 200, 'unknown')]: 2,
      [series('GET', '/api/orders/:id', 200, 'invalid')]: 2,
    });
    expect(collector.stats().rejectedBy).toEqual({ 'expressMetrics.tenant': 1, 'expressMetrics.tenant.reserved': 1 });
    expect(collector.stats().hookFailures).toEqual({});
  });

  it('counts request and response body bytes exactly as the client sent and received them', async () => {
    const { collector, receiver } = await startPipeline();
    const app = express();
    app.use(expressMetrics(collector));
    app.post('/json', express.json(), (req, res) => void res.json({ received: req.body, note: 'ßø ✓' }));
    app.get('/text', (_req, res) => void res.send('plain text body'));
    app.get('/stream', async (_req, res) => {
      for (let i = 0; i < 4; i++) {
        res.write(`chunk ${i} ${'ü'.repeat(i * 50)}\n`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      res.end('end');
    });
    app.post('/upload', (req, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      req.on('end', () => void res.send(`got ${bytes}`));
    });
    app.get('/empty', (_req, res) => void res.status(204).end());
    const local = await listen(app);
    try {
      const tenant = { 'x-tenant-id': 'acme' };
      const jsonBody = JSON.stringify({ order: 42, note: 'ßø' });
      const json = await exchange(local.port, 'POST', '/json', {
        body: jsonBody,
        headers: { ...tenant, 'content-type': 'application/json' },
      });
      const text = await exchange(local.port, 'GET', '/text', { headers: tenant });
      const streamed = await exchange(local.port, 'GET', '/stream', { headers: tenant });
      expect(streamed.headers['transfer-encoding']).toBe('chunked');
      const chunks = ['first|', 'ü'.repeat(400), '|last'];
      const upload = await exchange(local.port, 'POST', '/upload', { chunks, headers: tenant });
      expect(upload.body.toString()).toBe(`got ${Buffer.byteLength(chunks.join(''))}`);
      const empty = await exchange(local.port, 'GET', '/empty', { headers: tenant });
      expect(empty.status).toBe(204);
      const head = await exchange(local.port, 'HEAD', '/text', { headers: tenant });
      expect(head.body.length).toBe(0);
      await waitFor(() => recordsTaken(collector) === 6, 10_000, '6 records');
      await collector.flush();
      const sizes = (metric: string) =>
        Object.fromEntries(pointsNamed(receiver.points, metric).map((p) => [`${p.attributes.method} ${p.attributes.route}`, p.sum]));
      expect(sizes('http_response_size_bytes')).toEqual({
        'POST /json': json.body.length,
        'GET /text': text.body.length,
        'GET /stream': streamed.body.length,
        'POST /upload': upload.body.length,
        'GET /empty': 0,
        'HEAD /text': 0,
      });
      expect(sizes('http_request_size_bytes')).toEqual({
        'POST /json': Buffer.byteLength(jsonBody),
        'GET /text': 0,
        'GET /stream': 0,
        'POST /upload': Buffer.byteLength(chunks.join('')),
        'GET /empty': 0,
        'HEAD /text': 0,
      });
      const [streamDuration] = pointsNamed(receiver.points, 'http_request_duration_seconds').filter(
        (p) => p.attributes.route === '/stream',
      );
      // Timed until the last byte: four writes, 2 ms apart.
      expect(streamDuration.min).toBeGreaterThanOrEqual(0.006);
    } finally {
      await local.close();
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('gives a query made inside the request its tenant, and `system` outside any request', async () => {
    const { collector, receiver } = await startPipeline();
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 2, onnotice: () => {} }), { database: 'test' });
    const app = express();
    app.use(expressMetrics(collector));
    const api = express.Router();
    api.get('/orders/:id', async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      const [row] = await sql`select ${Number(req.params.id)}::int as id`;
      res.json(row);
    });
    app.use('/api', api);
    const local = await listen(app);
    try {
      const tenants = ['acme', 'globex', 'acme', 'initech', 'acme', 'globex'];
      const responses = await Promise.all(
        tenants.map((tenant, i) => exchange(local.port, 'GET', `/api/orders/${i}`, { headers: { 'x-tenant-id': tenant } })),
      );
      expect(responses.map((r) => JSON.parse(r.body.toString()).id)).toEqual([0, 1, 2, 3, 4, 5]);
      await sql`select 1 as outside`;
      await waitFor(() => collector.stats().ring.written >= 6 + 7, 10_000, 'records');
      await collector.flush();
      expect(valuesByLabels(receiver.points, 'db_queries_total')).toEqual({
        'query_type=SELECT,success=true,tenant_id=acme': 3,
        'query_type=SELECT,success=true,tenant_id=globex': 2,
        'query_type=SELECT,success=true,tenant_id=initech': 1,
        'query_type=SELECT,success=true,tenant_id=system': 1,
      });
      expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual({
        [series('GET', '/api/orders/:id', 200, 'acme')]: 3,
        [series('GET', '/api/orders/:id', 200, 'globex')]: 2,
        [series('GET', '/api/orders/:id', 200, 'initech')]: 1,
      });
    } finally {
      await local.close();
      await sql.end();
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('a resolver giving a number, an object, "", a reserved name or throwing: `invalid`, counted; the request unharmed', async () => {
    const { collector, receiver } = await startPipeline();
    const users: Record<string, unknown> = { a: 'acme', n: 42, o: { id: 'x' }, e: '', r: 'unknown', u: undefined };
    const app = express();
    app.use(
      expressMetrics(collector, {
        tenant: (req: Request & { user?: { orgId: unknown } }) => {
          if (req.headers['x-user'] === 't') throw new Error('resolver failed');
          return req.user?.orgId as string;
        },
      }),
    );
    app.use((req: Request & { user?: { orgId: unknown } }, _res, next) => {
      req.user = { orgId: users[String(req.headers['x-user'])] };
      next();
    });
    app.get('/items', (_req, res) => void res.send('ok'));
    const local = await listen(app);
    try {
      for (const user of ['a', 'a', 'n', 'o', 'e', 'r', 't', 'u']) {
        const response = await exchange(local.port, 'GET', '/items', { headers: { 'x-user': user } });
        expect(response.status).toBe(200);
        expect(response.body.toString()).toBe('ok');
      }
      await waitFor(() => recordsTaken(collector) === 8, 10_000, '8 records');
      await collector.flush();
      expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual({
        [series('GET', '/items', 200, 'acme')]: 2,
        [series('GET', '/items', 200, 'invalid')]: 5,
        [series('GET', '/items', 200, 'unknown')]: 1,
      });
      expect(collector.stats().rejectedBy).toEqual({ 'expressMetrics.tenant': 4, 'expressMetrics.tenant.reserved': 1 });
      expect(collector.stats().hookFailures).toEqual({});
    } finally {
      await local.close();
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('refuses bad options at setup, naming them', () => {
    expect(() => expressMetrics({} as Collector)).toThrow(/collector must be a ringmeter Collector/);
    expect(() => expressMetrics(collector, { tenant: 'x-tenant' as never })).toThrow(/options\.tenant/);
    expect(() => expressMetrics(collector, { tenantt: () => 'a' } as never)).toThrow(
      'options.tenantt is not an option (did you mean tenant?)',
    );
  });
});
