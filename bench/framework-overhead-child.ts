/**
 * One variant of framework-overhead.ts in a process of its own: `node framework-overhead-child.js <framework>
 * <variant>`. The app (the 20 routes of lib/bench-app.ts under a router or prefix `/api`, a small JSON answer each)
 * is served by Node's http server over in-memory connections (lib/memory-connections.ts); the parent drives the
 * measurement (lib/cpu-child.ts).
 */
import { createServer, type Server } from 'node:http';
import express from 'express';
import promBundle from 'express-prom-bundle';
import Fastify from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import { Registry } from 'prom-client';
import { createCollector, type Collector } from '../src/index.js';
import { expressMetrics } from '../src/express/index.js';
import { fastifyMetrics } from '../src/fastify/index.js';
import { ROUTES, TENANTS } from './lib/bench-app.js';
import { serveCpuMeasurements } from './lib/cpu-child.js';
import { memoryConnections } from './lib/memory-connections.js';
import { CountingReceiver } from './lib/receiver.js';

const CONNECTIONS = 32;
// A CommonJS module compiled from ESM: under Node's ESM loader its plugin is the `default` of its exports.
const fastifyPromMetrics = fastifyMetricsModule.default;
/** Each route's answer, without the id: the same bytes in every framework. */
const routePaths = ROUTES.map((route) => route.pattern.replace(/^\/api/, ''));

async function expressServer(variant: string, collector: Collector | undefined, count: () => void): Promise<Server> {
  const app = express();
  if (variant === 'empty middleware') app.use((_req, _res, next) => next());
  if (variant === 'ringmeter' && collector !== undefined) app.use(expressMetrics(collector));
  if (variant.startsWith('express-prom-bundle')) {
    app.use(
      promBundle({
        includeMethod: true,
        includePath: true,
        includeStatusCode: true,
        customLabels: { tenant_id: null },
        transformLabels: (labels, req) => {
          labels.tenant_id = String(req.headers['x-tenant-id']);
        },
        promRegistry: new Registry(),
        autoregister: false,
      }),
    );
  }
  const api = express.Router();
  for (const path of routePaths) {
    api.get(path, (req, res) => {
      count();
      res.json({ id: req.params.id, ok: true });
    });
  }
  app.use('/api', api);
  return createServer(app);
}

async function fastifyServer(variant: string, collector: Collector | undefined, count: () => void): Promise<Server> {
  const app = Fastify();
  if (variant === 'empty onRequest hook') app.addHook('onRequest', (_request, _reply, done) => done());
  if (variant === 'ringmeter' && collector !== undefined) await app.register(fastifyMetrics, { collector });
  if (variant.startsWith('fastify-metrics')) {
    await app.register(fastifyPromMetrics, {
      endpoint: null,
      defaultMetrics: { enabled: false },
      routeMetrics: { enabled: true, customLabels: { tenant_id: (request) => String(request.headers['x-tenant-id']) } },
    });
  }
  await app.register(
    async (api) => {
      for (const path of routePaths) {
        api.get(path, async (request) => {
          count();
          return { id: (request.params as { id: string }).id, ok: true };
        });
      }
    },
    { prefix: '/api' },
  );
  await app.ready();
  return app.server;
}

const framework = process.argv[2];
const variant = process.argv[3];
if (framework !== 'express' && framework !== 'fastify') throw new Error(`unknown framework ${framework}`);
const receiver = new CountingReceiver();
const collector =
  variant === 'ringmeter'
    ? createCollector({ env: {}, otlp: { endpoint: await receiver.start(), exportIntervalMillis: 3_600_000 }, metrics: { runtime: false } })
    : undefined;
let served = 0;
const count = () => {
  served++;
};
const server = framework === 'express' ? await expressServer(variant, collector, count) : await fastifyServer(variant, collector, count);
const requests = TENANTS.map((tenant, i) => ({
  method: 'GET' as const,
  path: ROUTES[i % ROUTES.length].path,
  headers: { 'x-tenant-id': tenant },
}));
serveCpuMeasurements(
  `${framework} ${variant}`,
  memoryConnections(server, CONNECTIONS, requests),
  () => served,
  async () => {
    await collector?.shutdown();
    await receiver.stop();
  },
);
