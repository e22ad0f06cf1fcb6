import type { FastifyInstance, FastifyPluginCallback, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { UNMATCHED_ID } from '../contract/strings-layout.js';
import { FrameworkSlot, frameworkRecording } from '../http/framework-recording.js';
import { isUntrackedHandler } from '../http/untracked-handlers.js';
import { internals } from '../internal.js';
import { categorizer } from '../strings/endpoint-categories.js';
import { type FastifyMetricsOptions, resolveFastifyOptions } from './options.js';

/**
 * Fastify binds each route's handler (the request sees another function than the one marked untracked()), so the
 * mark is carried into the route's config when the route is added, where the request finds it.
 */
const UNTRACKED_ROUTE = Symbol('ringmeter.untracked');

/** Marks, as the route is added, a route whose handler is marked untracked(). */
function markUntrackedRoute(route: RouteOptions): void {
  if (isUntrackedHandler(route.handler)) route.config = { ...route.config, [UNTRACKED_ROUTE]: true } as RouteOptions['config'];
}

/**
 * Fastify 5 plugin recording what honoMetrics records on @hono/node-server, per request: method, the route's URL
 * pattern with its register prefix (`unmatched` for a 404), status, tenant, duration, and the request and response
 * body bytes. `app.register(fastifyMetrics, { collector })` on the root instance: it is not encapsulated (as
 * fastify-plugin would mark it), so its hooks reach every route added after it. It never throws into the application.
 *
 * [options.tenant=the x-tenant-id header] [options.categories=[]]
 */
function fastifyMetricsPlugin(instance: FastifyInstance, options: FastifyMetricsOptions, done: (error?: Error) => void): void {
  let resolved: ReturnType<typeof resolveFastifyOptions>;
  let hooks: ReturnType<typeof internals>;
  try {
    resolved = resolveFastifyOptions(options);
    hooks = internals(resolved.collector);
  } catch (error) {
    // A callback plugin reports through `done`: thrown, the error would escape Fastify's boot as an uncaught one.
    done(error as Error);
    return;
  }
  const endpoints = hooks.labels.createEndpointInterner(categorizer(resolved.categories));
  const begin = frameworkRecording<FastifyRequest, FrameworkSlot<FastifyRequest>>({
    hook: 'fastifyMetrics',
    hooks,
    tenant: resolved.tenant,
    createSlot: (owner) => new FrameworkSlot<FastifyRequest>(owner),
    endpointOf(slot) {
      // One read: Fastify builds the routeOptions object on each.
      const route = slot.request?.routeOptions;
      if ((route?.config as Record<symbol, unknown> | undefined)?.[UNTRACKED_ROUTE] === true) return undefined;
      // Fastify's 404 handler has no route URL.
      const url = route?.url;
      return typeof url === 'string' ? endpoints.intern(url) : UNMATCHED_ID;
    },
  });
  const ringmeterFastify: onRequestHookHandler = function ringmeterFastify(request, reply, next) {
    begin(request, request.raw, reply.raw, next);
  };
  instance.addHook('onRoute', markUntrackedRoute);
  instance.addHook('onRequest', ringmeterFastify);
  done();
}

/** Marks the plugin as fastify-plugin does, without depending on it: not encapsulated, named, Fastify 5. */
const marks = fastifyMetricsPlugin as unknown as Record<symbol, unknown>;
marks[Symbol.for('skip-override')] = true;
marks[Symbol.for('fastify.display-name')] = 'ringmeter';
marks[Symbol.for('plugin-meta')] = { name: 'ringmeter', fastify: '5.x' };

export const fastifyMetrics: FastifyPluginCallback<FastifyMetricsOptions> = fastifyMetricsPlugin;
