import { httpInstrumentationMiddleware } from '@hono/otel';
import { prometheus } from '@hono/prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Hono, type MiddlewareHandler } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';
import { Registry } from 'prom-client';
import type { Collector } from '../../src/index.js';
import { honoMetrics } from '../../src/hono/index.js';
import { methodId } from '../../src/contract/http-methods.js';
import { internals } from '../../src/internal.js';
import { ringFloor } from './ring-floor.js';

/** The benchmark app's routes: 20 patterns, each answered with a small JSON body. */
export const ROUTES = Array.from({ length: 20 }, (_, i) => ({ pattern: `/api/r${i}/:id`, path: `/api/r${i}/42` }));
export const TENANTS = Array.from({ length: 1_000 }, (_, i) => `tenant-${i}`);

/** A metric reader that never exports: the SDK aggregates as it would in production, nothing is sent. */
export class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Where the reads-only variants put what they read, so that no read can be optimised away. */
const tenantsSeen = new Set<string>();
// Exported, so that no engine can prove the sum unread and drop the reads that feed it.
export let readsChecksum = 0;

/** Middleware variants compared by the HTTP benchmarks. The '+ DB' ones run one real query per request. */
export type MiddlewareVariant =
  | 'bare'
  | 'empty async middleware'
  | 'empty + tenant header read'
  | 'reads only, records nothing'
  | 'ringmeter'
  | 'ringmeter, export every 5 s'
  | 'ring write only (reference)'
  | 'ring floor (prototype + flat consumer)'
  | '@hono/prometheus (tenant label)'
  | '@hono/otel'
  | 'OTel SDK by hand'
  | 'bare + DB query'
  | 'ringmeter + DB hook'
  | 'ringmeter + DB hook, no scope'
  | 'empty + idle collector'
  | 'empty + idle collector, no runtime metrics';

/**
 * ringmeter's middleware from another build (BENCH_BASELINE_BUILD, a dist directory), for a same-run A/B of a
 * request-path change (node-server-overhead.ts).
 */
export const BASELINE_BUILD_VARIANT = 'ringmeter (baseline build)';

/** Whether a variant runs a database query in each request. */
export function queriesDatabase(variant: MiddlewareVariant): boolean {
  return variant === 'bare + DB query' || variant === 'ringmeter + DB hook' || variant === 'ringmeter + DB hook, no scope';
}

/**
 * The collector's export interval for a variant, as the server's argument: 'default' (30 s, what a service gets
 * without setting it) for every variant but the one named for its interval.
 */
export function exportIntervalOf(variant: MiddlewareVariant): string {
  return variant === 'ringmeter, export every 5 s' ? '5000' : 'default';
}

/** Whether a variant needs a collector. */
export function usesCollector(variant: MiddlewareVariant): boolean {
  return variant.startsWith('ringmeter') || variant === 'ring write only (reference)' || variant.startsWith('empty + idle collector');
}

export interface BenchMiddleware {
  middleware: MiddlewareHandler | undefined;
  close(): Promise<void>;
}

/** Builds one variant's middleware; ringmeter's uses the given collector. */
export function benchMiddleware(variant: MiddlewareVariant, collector?: Collector): BenchMiddleware {
  const none = async () => {};
  switch (variant) {
    case 'bare':
    case 'bare + DB query':
      return { middleware: undefined, close: none };
    case 'empty async middleware':
    // What a collector costs the requests it records nothing of: its worker, its runtime sampler and their timers.
    case 'empty + idle collector':
    case 'empty + idle collector, no runtime metrics':
      return {
        middleware: async (_c, next) => {
          await next();
        },
        close: none,
      };
    case 'empty + tenant header read':
      // The floor of any per-tenant middleware: it must at least read the tenant's header.
      return {
        middleware: async (c, next) => {
          await next();
          tenantsSeen.add(c.req.header('x-tenant-id') ?? 'unknown');
        },
        close: none,
      };
    case 'reads only, records nothing':
      // The floor of any per-tenant metrics middleware: it reads what a record needs (clock twice, method,
      // matched route, status, tenant header) and keeps only a checksum of it.
      return {
        middleware: async function readsOnly(c, next) {
          const start = performance.now();
          await next();
          const route = matchedRoutes(c)[c.req.routeIndex]?.path ?? '';
          readsChecksum +=
            c.req.method.length + route.length + c.res.status + (c.req.header('x-tenant-id') ?? '').length + (performance.now() - start);
        },
        close: none,
      };
    case 'ring write only (reference)': {
      // The floor of a ring-based middleware on node-server: raw tenant header, matched route, one record written
      // when the handler returns; no response byte counting, no waiting for the response to finish.
      if (collector === undefined) throw new Error('the ring reference variant needs a collector');
      const inner = internals(collector);
      const endpoints = inner.labels.createEndpointInterner(() => 'api');
      const middleware: MiddlewareHandler = async function ringOnly(c, next) {
        const start = performance.now();
        await next();
        const incoming = (c.env as { incoming: { method: string; headers: Record<string, string | undefined> } }).incoming;
        const route = c.req.matchedRoutes[c.req.routeIndex];
        inner.writer.writeHttp(
          methodId(incoming.method),
          c.res.status,
          endpoints.intern(route.path),
          inner.labels.tenantId(incoming.headers['x-tenant-id'], 'bench'),
          (performance.now() - start) / 1000,
          0,
          0,
        );
      };
      return { middleware, close: none };
    }
    case 'ring floor (prototype + flat consumer)': {
      const floor = ringFloor();
      return {
        middleware: floor.middleware,
        close: async () => {
          const { dropped } = await floor.close();
          if (dropped > 0) console.error(`ring floor: ${dropped} records dropped (the ring was full)`);
        },
      };
    }
    case 'ringmeter':
    case 'ringmeter, export every 5 s':
    case 'ringmeter + DB hook':
    case 'ringmeter + DB hook, no scope':
      if (collector === undefined) throw new Error('the ringmeter variant needs a collector');
      return { middleware: honoMetrics(collector), close: none };
    case '@hono/prometheus (tenant label)': {
      const tenant = (c: Parameters<MiddlewareHandler>[0]) => c.req.header('x-tenant-id') ?? 'unknown';
      const { registerMetrics } = prometheus({
        registry: new Registry(),
        collectDefaultMetrics: false,
        metricOptions: { requestDuration: { customLabels: { tenant_id: tenant } }, requestsTotal: { customLabels: { tenant_id: tenant } } },
      });
      return { middleware: registerMetrics, close: none };
    }
    case '@hono/otel': {
      const meterProvider = new MeterProvider({ readers: [new IdleReader({ cardinalitySelector: () => 1_000_000 })] });
      const tracerProvider = new BasicTracerProvider();
      return {
        middleware: httpInstrumentationMiddleware({ tracerProvider, meterProvider, serviceName: 'bench' }),
        close: async () => {
          await meterProvider.shutdown();
          await tracerProvider.shutdown();
        },
      };
    }
    case 'OTel SDK by hand': {
      const meterProvider = new MeterProvider({ readers: [new IdleReader({ cardinalitySelector: () => 1_000_000 })] });
      const histogram = meterProvider.getMeter('hand').createHistogram('http.server.request.duration', { unit: 's' });
      const middleware: MiddlewareHandler = async function handOtel(c, next) {
        const start = performance.now();
        try {
          await next();
        } finally {
          histogram.record((performance.now() - start) / 1000, {
            'http.request.method': c.req.method,
            'http.route': routePath(c),
            'http.response.status_code': c.res.status,
            tenant_id: c.req.header('x-tenant-id') ?? 'unknown',
          });
        }
      };
      return { middleware, close: () => meterProvider.shutdown() };
    }
    default:
      throw new TypeError(`unknown variant ${String(variant)}`);
  }
}

/** The benchmark app: 20 routes returning small JSON, behind an optional middleware, with an optional per-request hook. */
export function buildBenchApp(middleware?: MiddlewareHandler, handle?: (id: string) => Promise<unknown> | unknown): Hono {
  const app = new Hono();
  if (middleware !== undefined) app.use(middleware);
  for (const { pattern } of ROUTES) {
    app.get(pattern, async (c) => {
      const id = c.req.param('id') ?? '';
      const extra = handle === undefined ? undefined : await handle(id);
      return c.json({ id, ok: true, extra });
    });
  }
  return app;
}
