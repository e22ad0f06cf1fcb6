import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from 'ringmeter';
import { fastifyMetrics, untracked } from 'ringmeter/fastify';
import { instrumentPostgres } from 'ringmeter/postgres';
import { DATABASE_URL } from './support/database.js';
import { startPipeline } from './support/harness.js';
import { RESOLVER_ORGS, checkExactBytes, checkQueryTenants, checkResolver, checkRoutePlan } from './support/framework-cases.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('fastifyMetrics on a real Fastify 5 server', () => {
  let collector: Collector;
  let receiver: OtlpReceiver;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    ({ collector, receiver } = await startPipeline());
    app = Fastify();
    // Not encapsulated (as fastify-plugin marks a plugin): registered on the root, its hook reaches the routes of
    // every context registered after it, prefixed ones included.
    await app.register(fastifyMetrics, { collector });
    app.get(
      '/health',
      untracked(async () => 'ok'),
    );
    await app.register(
      async (api) => {
        api.get('/orders/:id', async (request) => ({ id: (request.params as { id: string }).id }));
        api.get('/', async () => 'api root');
      },
      { prefix: '/api' },
    );
    await app.register(
      async (v1) => {
        await v1.register(
          async (projects) => {
            projects.get('/projects/:projectId', async (request) => `project ${(request.params as { projectId: string }).projectId}`);
          },
          { prefix: '/tenants/:tenantId' },
        );
      },
      { prefix: '/v1' },
    );
    app.get('/sync-throw', () => {
      throw new Error('handler failed');
    });
    app.get('/async-throw', async () => {
      await Promise.resolve();
      throw new Error('async handler failed');
    });
    port = await listen(app);
  });

  afterAll(async () => {
    await app.close();
    await collector.shutdown();
    await receiver.stop();
  });

  it('records route URLs with their register prefixes, 404 as unmatched, throws as 500, per tenant', async () => {
    await checkRoutePlan(port, collector, receiver, 'fastifyMetrics');
  });

  it('counts request and response body bytes exactly as the client sent and received them', async () => {
    const { collector, receiver } = await startPipeline();
    const local = Fastify();
    await local.register(fastifyMetrics, { collector });
    local.post('/json', async (request) => ({ received: request.body, note: 'ßø ✓' }));
    local.get('/text', async () => 'plain text body');
    local.get('/stream', async (_request, reply) => {
      const parts = [0, 1, 2, 3].map((i) => `chunk ${i} ${'ü'.repeat(i * 50)}\n`);
      return reply.type('text/plain').send(Readable.from(parts));
    });
    local.post('/upload', async (request) => `got ${Buffer.byteLength(request.body as string)}`);
    local.get('/empty', async (_request, reply) => reply.code(204).send());
    const localPort = await listen(local);
    try {
      await checkExactBytes(localPort, collector, receiver);
    } finally {
      await local.close();
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('gives a query made inside the request its tenant, and `system` outside any request', async () => {
    const { collector, receiver } = await startPipeline();
    const sql = instrumentPostgres(collector, postgres(DATABASE_URL, { max: 2, onnotice: () => {} }), { database: 'test' });
    const local = Fastify();
    await local.register(fastifyMetrics, { collector });
    await local.register(
      async (api) => {
        api.get('/orders/:id', async (request) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
          const [row] = await sql`select ${Number((request.params as { id: string }).id)}::int as id`;
          return row;
        });
      },
      { prefix: '/api' },
    );
    const localPort = await listen(local);
    try {
      await checkQueryTenants(localPort, collector, receiver, sql);
    } finally {
      await local.close();
      await sql.end();
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('a resolver giving a number, an object, "", a reserved name or throwing: `invalid`, counted; the request unharmed', async () => {
    const { collector, receiver } = await startPipeline();
    type WithUser = FastifyRequest & { user?: { orgId: unknown } };
    const local = Fastify();
    await local.register(fastifyMetrics, {
      collector,
      tenant: (request) => {
        if (request.headers['x-user'] === 't') throw new Error('resolver failed');
        return (request as WithUser).user?.orgId as string;
      },
    });
    local.addHook('preHandler', async (request) => {
      (request as WithUser).user = { orgId: RESOLVER_ORGS[String(request.headers['x-user'])] };
    });
    local.get('/items', async () => 'ok');
    const localPort = await listen(local);
    try {
      await checkResolver(localPort, collector, receiver, 'fastifyMetrics');
    } finally {
      await local.close();
      await collector.shutdown();
      await receiver.stop();
    }
  });

  it('refuses bad options when the app starts, naming them', async () => {
    const cases: Array<[object, RegExp | string]> = [
      [{}, /collector must be a ringmeter Collector/],
      [{ collector, tenant: 'x-tenant' }, /options\.tenant/],
      [{ collector, tenantt: () => 'a' }, 'options.tenantt is not an option (did you mean tenant?)'],
    ];
    for (const [options, message] of cases) {
      const local = Fastify();
      local.register(fastifyMetrics, options as never);
      await expect(local.ready()).rejects.toThrow(message);
      await local.close();
    }
  });
});
