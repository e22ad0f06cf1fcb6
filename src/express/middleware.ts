import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Collector } from '../collector.js';
import { UNMATCHED_ID } from '../contract/strings-layout.js';
import { frameworkRecording } from '../http/framework-recording.js';
import { internals } from '../internal.js';
import { categorizer } from '../strings/endpoint-categories.js';
import { ExpressSlot } from './express-slot.js';
import { type ExpressMetricsOptions, resolveExpressOptions } from './options.js';
import { trackRoutes } from './route-tracking.js';

/** An Express middleware, typed without Express's own types (Express's request and response extend Node's). */
export type ExpressMetricsMiddleware<Req extends IncomingMessage> = (
  req: Req,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Express 5 middleware recording what honoMetrics records on @hono/node-server, per request: method, route
 * pattern (mount paths included: `/api` + `/orders/:id` → `/api/orders/:id`; `unmatched` when no route answered),
 * status, tenant, duration, and the request and response body bytes. Register it first
 * (`app.use(expressMetrics(collector))`) so that it times the whole chain. It never throws into the application.
 *
 * [options.tenant=the x-tenant-id header] [options.categories=[]]
 */
export function expressMetrics<Req extends IncomingMessage = IncomingMessage>(
  collector: Collector,
  options?: ExpressMetricsOptions<Req>,
): ExpressMetricsMiddleware<Req> {
  const resolved = resolveExpressOptions(options);
  const hooks = internals(collector);
  const endpoints = hooks.labels.createEndpointInterner(categorizer(resolved.categories));
  const begin = frameworkRecording<Req, ExpressSlot<Req>>({
    hook: 'expressMetrics',
    hooks,
    tenant: resolved.tenant,
    createSlot: (owner) => new ExpressSlot<Req>(owner),
    endpointOf(slot) {
      if (slot.untracked) return undefined;
      if (slot.route !== undefined) return endpoints.intern(slot.route);
      // A router without the tracing channel (before router 2.3): the route Express left on the request.
      const route = slot.traced ? undefined : (slot.request as { route?: { path?: unknown } } | undefined)?.route?.path;
      return typeof route === 'string' ? endpoints.intern(route) : UNMATCHED_ID;
    },
  });
  // One process-wide subscription (route-tracking.ts), made with the first middleware, never on import.
  trackRoutes();
  return function ringmeterExpress(req, res, next) {
    begin(req, req, res, next);
  };
}
