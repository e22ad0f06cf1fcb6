/**
 * What each HTTP metrics middleware adds to a request, in-process (`app.request`), on the same ~20-route Hono
 * app with 1,000 tenants: the bare app, an empty async middleware (the floor of any middleware), ringmeter,
 * @hono/prometheus with a tenant label, @hono/otel, and a hand-written OpenTelemetry SDK middleware.
 * The added cost of a variant is its time minus the bare app's in the same round.
 */
import { httpInstrumentationMiddleware } from '@hono/otel';
import { prometheus } from '@hono/prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Hono, type MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Registry } from 'prom-client';
import { createCollector } from '../src/index.js';
import { honoMetrics } from '../src/hono/index.js';
import { compareInRounds, printComparison, type Comparison } from './lib/rounds.js';
import { saveSection } from './lib/results.js';

const BATCH = 200;
const TENANTS = Array.from({ length: 1_000 }, (_, i) => `tenant-${i}`);
const ROUTES = Array.from({ length: 20 }, (_, i) => ({ pattern: `/api/r${i}/:id`, path: `/api/r${i}/42` }));

class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** The benchmark app: 20 routes returning small JSON, behind an optional middleware. */
export function buildApp(middleware?: MiddlewareHandler): Hono {
  const app = new Hono();
  if (middleware !== undefined) app.use(middleware);
  for (const { pattern } of ROUTES) app.get(pattern, (c) => c.json({ id: c.req.param('id'), ok: true }));
  return app;
}

export async function run(options: { rounds?: number; timeMillis?: number } = {}): Promise<Comparison> {
  const collector = createCollector({ env: {}, otlp: { endpoint: 'http://127.0.0.1:9/v1/metrics', exportIntervalMillis: 3_600_000 }, metrics: { runtime: false } });
  const { registerMetrics } = prometheus({
    registry: new Registry(),
    collectDefaultMetrics: false,
    metricOptions: {
      requestDuration: { customLabels: { tenant_id: (c) => c.req.header('x-tenant-id') ?? 'unknown' } },
      requestsTotal: { customLabels: { tenant_id: (c) => c.req.header('x-tenant-id') ?? 'unknown' } },
    },
  });
  const meterProvider = new MeterProvider({ readers: [new IdleReader({ cardinalitySelector: () => 1_000_000 })] });
  const tracerProvider = new BasicTracerProvider();
  const histogram = meterProvider.getMeter('hand').createHistogram('http.server.request.duration', { unit: 's' });
  const handWritten: MiddlewareHandler = async function handOtel(c, next) {
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

  const apps: Record<string, Hono> = {
    bare: buildApp(),
    'empty async middleware': buildApp(async (_c, next) => {
      await next();
    }),
    ringmeter: buildApp(honoMetrics(collector)),
    '@hono/prometheus (tenant label)': buildApp(registerMetrics),
    '@hono/otel': buildApp(httpInstrumentationMiddleware({ tracerProvider, meterProvider, serviceName: 'bench' })),
    'OTel SDK by hand': buildApp(handWritten),
  };
  let cursor = 0;
  const comparison = await compareInRounds({
    title: 'Hono middleware, in-process app.request (20 routes, 1,000 tenants)',
    baseline: 'bare',
    rounds: options.rounds,
    timeMillis: options.timeMillis ?? 1_000,
    variants: Object.entries(apps).map(([name, app]) => ({
      name,
      operationsPerRun: BATCH,
      run: async () => {
        for (let i = 0; i < BATCH; i++) {
          const n = cursor++;
          const response = await app.request(ROUTES[n % ROUTES.length].path, { headers: { 'x-tenant-id': TENANTS[n % TENANTS.length] } });
          if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
        }
      },
    })),
  });
  await collector.shutdown().catch(() => {});
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
  return comparison;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === '1';
  const comparison = await run(quick ? { rounds: 3, timeMillis: 30 } : {});
  printComparison(comparison, 'µs');
  saveSection('hono-overhead', comparison);
}
