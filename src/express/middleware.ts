import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Collector } from '../collector.js';
import { methodId } from '../contract/http-methods.js';
import { UNKNOWN_ID, UNMATCHED_ID } from '../contract/strings-layout.js';
import type { TenantSource } from '../engine/request-scope.js';
import { countResponseWrites, watchExchange } from '../http/node-exchange.js';
import { DEFAULT_TENANT_HEADER } from '../http/options.js';
import { SlotPool, type SlotOwner } from '../http/request-slot.js';
import { headerTenant, resolvedTenant } from '../http/tenant-of.js';
import { internals } from '../internal.js';
import { categorizer } from '../strings/endpoint-categories.js';
import { ExpressSlot } from './express-slot.js';
import { type ExpressMetricsOptions, resolveExpressOptions } from './options.js';
import { trackRoutes } from './route-tracking.js';

/** How stats().rejectedBy names a tenant id the middleware recorded as `invalid` (`….reserved` for a reserved name). */
const TENANT_REASON = 'expressMetrics.tenant';

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
  // `families`: the collector's switches, changed in place by configure(): read per request, never captured as a value.
  const { labels, writer, requestScope: scope, families } = internals(collector);
  const endpoints = labels.createEndpointInterner(categorizer(resolved.categories));
  const customTenant = resolved.tenant;

  /** Resolves the request's tenant when a database query first asks for it, then remembers it. */
  class RequestTenant implements TenantSource {
    private id = -1;
    constructor(private readonly req: Req) {}
    tenantId(): number {
      if (this.id < 0) this.id = customTenant === undefined ? UNKNOWN_ID : resolvedTenant(labels, customTenant, this.req, TENANT_REASON);
      return this.id;
    }
  }

  /** Writes a finished request's record (none for an untracked handler), then frees its slot. */
  const owner: SlotOwner<ExpressSlot> = {
    complete(slot) {
      try {
        if (!slot.untracked) {
          const tenant =
            customTenant !== undefined && slot.request !== undefined
              ? resolvedTenant(labels, customTenant, slot.request as Req, TENANT_REASON)
              : slot.tenant;
          writer.writeHttp(
            slot.method,
            slot.status,
            endpointOf(slot),
            tenant,
            (performance.now() - slot.start) / 1000,
            slot.requestBytes,
            slot.responseBytes,
          );
        }
      } finally {
        slot.request = undefined;
        pool.release(slot);
      }
    },
    failed(error) {
      writer.hookFailed('expressMetrics', error);
    },
  };
  const pool = new SlotPool(() => new ExpressSlot(owner));

  /** The answering route's endpoint id; 'unmatched' when no route's handler ran (Express's 404). */
  function endpointOf(slot: ExpressSlot): number {
    if (slot.route !== undefined) return endpoints.intern(slot.route);
    // A router without the tracing channel (before router 2.3): the route Express left on the request.
    const route = slot.traced ? undefined : (slot.request as { route?: { path?: unknown } } | undefined)?.route?.path;
    return typeof route === 'string' ? endpoints.intern(route) : UNMATCHED_ID;
  }

  return function ringmeterExpress(req, res, next) {
    if (!families.http) return next();
    const start = performance.now();
    let tenant = UNKNOWN_ID;
    try {
      trackRoutes();
      // A getter that checks a symbol slot: read once.
      const headers = req.headers;
      // The built-in tenant is the raw header, final from the start: read it now, once.
      if (customTenant === undefined) tenant = headerTenant(labels, headers[DEFAULT_TENANT_HEADER], TENANT_REASON);
      const slot = pool.take().reset(req);
      slot.open(start, methodId(req.method ?? ''), tenant);
      watchExchange(req, headers, res, slot);
      // Express writes from inside the chain, before this middleware could know whether the length will be known:
      // every body is counted as it is written (node-exchange.ts).
      countResponseWrites(res, slot);
      // Recorded when Node reports the response finished, or when the connection closes before.
      slot.handlerDone();
    } catch (error) {
      writer.hookFailed('expressMetrics', error);
    }
    if (!scope.enabled) return next();
    scope.run(customTenant === undefined ? tenant : new RequestTenant(req), next);
  };
}
