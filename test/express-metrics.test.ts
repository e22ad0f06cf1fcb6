import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { expressMetrics, untracked } from 'ringmeter/express';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { pointsNamed, startPipeline } from './support/harness.js';
import { RESOLVER_ORGS, checkExactBytes, checkQueryTenants, checkResolver, checkRoutePlan } from './support/framework-cases.js';
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
    await checkRoutePlan(server.port, collector, receiver, 'expressMetrics');
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
      await checkExactBytes(local.port, collector, receiver);
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
      await checkQueryTenants(local.port, collector, receiver, sql);
    } finally {
      await local.close();
      await sql.end();
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('a resolver giving a number, an object, "", a reserved name or throwing: `invalid`, counted; the request unharmed', async () => {
    const { collector, receiver } = await startPipeline();
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
      req.user = { orgId: RESOLVER_ORGS[String(req.headers['x-user'])] };
      next();
    });
    app.get('/items', (_req, res) => void res.send('ok'));
    const local = await listen(app);
    try {
      await checkResolver(local.port, collector, receiver, 'expressMetrics');
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
