import { IncomingMessage, ServerResponse, type IncomingHttpHeaders } from 'node:http';
// The module's binding, not the global: Node defines globalThis.performance as a getter, which every request would
// call through a global-load inline cache (callgrind: ~100 instructions per read, two reads per request).
import { performance } from 'node:perf_hooks';
import type { Context, MiddlewareHandler } from 'hono';
import type { RouterRoute } from 'hono/types';
import type { Collector } from '../collector.js';
import { categorizer } from '../strings/endpoint-categories.js';
import { methodId } from '../contract/http-methods.js';
import { internals } from '../internal.js';
import { UNKNOWN_ID, UNMATCHED_ID } from '../contract/strings-layout.js';
import type { TenantSource } from '../engine/request-scope.js';
import { lengthKnown } from './node-response.js';
import { countResponseWrites, settleIfClosed, watchExchange } from '../http/node-exchange.js';
import { RequestSlot, SlotPool, type SlotOwner } from '../http/request-slot.js';
import { headerTenant, resolvedTenant } from '../http/tenant-of.js';
import { DEFAULT_TENANT_HEADER, resolveHonoOptions, type HonoMetricsOptions } from './options.js';
import { isUntrackedRoute } from './untracked.js';
import { matchedRoute } from './matched-route.js';

/** How stats().rejectedBy names a tenant id the middleware recorded as `invalid` (`….reserved` for a reserved name). */
const TENANT_REASON = 'honoMetrics.tenant';

/**
 * Hono middleware recording, per request: method, matched route pattern, status, tenant, duration, request and
 * response bytes (http_* and tenant_* metrics). Register it first (`app.use(honoMetrics(collector))`) so that
 * it times the whole chain. It never throws into the application and adds well under a microsecond of work:
 * one ring record, and labels turned into ids by Map lookups.
 *
 * [options.tenant=the x-tenant-id header] [options.categories=[]]
 */
export function honoMetrics(collector: Collector, options?: HonoMetricsOptions): MiddlewareHandler {
  const resolved = resolveHonoOptions(options);
  // `families`: the collector's switches, changed in place by configure(): read per request, never captured as a value.
  const { labels, writer, requestScope: scope, families } = internals(collector);
  const endpoints = labels.createEndpointInterner(categorizer(resolved.categories));
  const customTenant = resolved.tenant;

  /** The request's tenant id (see http/tenant-of.ts: the same rules in every middleware). */
  function tenantOf(c: Context, headers: IncomingHttpHeaders | undefined): number {
    if (customTenant !== undefined) return resolvedTenant(labels, customTenant, c, TENANT_REASON);
    try {
      // On node-server the header object is already built; elsewhere ask Hono (it reads only this header).
      const value = headers !== undefined ? headers[DEFAULT_TENANT_HEADER] : c.req.header(DEFAULT_TENANT_HEADER);
      return headerTenant(labels, value, TENANT_REASON);
    } catch (error) {
      writer.hookFailed('honoMetrics', error);
      return UNKNOWN_ID;
    }
  }

  /** The matched route pattern's endpoint id; 'unmatched' when no route answered (only middleware, then 404). */
  function endpointOf(route: RouterRoute | undefined, status: number): number {
    if (route === undefined || route.handler === ringmeterHono) return UNMATCHED_ID;
    if (status === 404 && route.method === 'ALL' && route.path.endsWith('*')) return UNMATCHED_ID;
    return endpoints.intern(route.path);
  }

  /** Resolves the request's tenant when a database query first asks for it, then remembers it. */
  class RequestTenant implements TenantSource {
    private id = -1;
    constructor(private readonly c: Context) {}
    tenantId(): number {
      if (this.id < 0) this.id = tenantOf(this.c, undefined);
      return this.id;
    }
  }

  /** Writes a finished request's record, then frees its slot for the next request. */
  const owner: SlotOwner<RequestSlot> = {
    complete(slot) {
      writer.writeHttp(
        slot.method,
        slot.status,
        slot.endpoint,
        slot.tenant,
        (performance.now() - slot.start) / 1000,
        slot.requestBytes,
        slot.responseBytes,
      );
      pool.release(slot);
    },
    failed(error) {
      writer.hookFailed('honoMetrics', error);
    },
  };
  const pool = new SlotPool(() => new RequestSlot(owner));

  /**
   * The handler chain of a node-server request returned: its route, its tenant (a custom resolver may read what
   * the chain set) and, for a body whose length Node will not know, the writes to count (see node-exchange.ts).
   */
  function handlerDone(slot: RequestSlot, c: Context, route: RouterRoute | undefined, outgoing: ServerResponse, failed: boolean): void {
    if (customTenant !== undefined) slot.tenant = tenantOf(c, undefined);
    const res = c.res;
    slot.endpoint = endpointOf(route, failed ? 500 : res.status);
    if (!failed && !outgoing.headersSent && !lengthKnown(res)) countResponseWrites(outgoing, slot);
    // Recorded now if Node already reported the response done; else at its finish, or now if the client left.
    const closed = slot.responseClosed;
    slot.handlerDone();
    if (!closed) settleIfClosed(outgoing, slot);
  }

  const ringmeterHono: MiddlewareHandler = async function ringmeterHono(c, next) {
    if (!families.http) return next();
    const start = performance.now();
    const env = c.env as { incoming?: unknown; outgoing?: unknown } | undefined;
    const incoming = env?.incoming;
    const outgoing = env?.outgoing;
    // (A request without a socket, built by hand, cannot be matched with its finish: it is recorded as on Fetch.)
    const socket: unknown = incoming instanceof IncomingMessage ? incoming.socket : undefined;
    if (incoming instanceof IncomingMessage && outgoing instanceof ServerResponse && socket !== null && socket !== undefined) {
      // A getter that checks a symbol slot: read once.
      const headers = incoming.headers;
      // The built-in tenant is the raw header, final from the start: read it now, once (tenantOf never throws).
      const tenant = customTenant === undefined ? tenantOf(c, headers) : UNKNOWN_ID;
      let exchange: RequestSlot | undefined;
      try {
        exchange = pool.take().open(start, methodId(incoming.method ?? ''), tenant);
        watchExchange(incoming, headers, outgoing, exchange);
      } catch (error) {
        writer.hookFailed('honoMetrics', error);
        exchange = undefined;
      }
      let failed = false;
      try {
        if (scope.enabled) await scope.run(customTenant === undefined ? tenant : new RequestTenant(c), next);
        else await next();
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        try {
          // Handlers marked untracked() (the operations routes) serve probes and scrapes, not traffic: the slot
          // then never completes and is left to the garbage collector. (No `return` here: in a finally it would
          // swallow the handler's error.)
          const route = matchedRoute(c);
          const tracked = !isUntrackedRoute(route);
          if (tracked && exchange !== undefined) handlerDone(exchange, c, route, outgoing, failed);
          else if (tracked) recordFetchExchange(c, route, start, failed);
        } catch (error) {
          // Metrics must never change the application's response; the failure is counted and named in health().
          writer.hookFailed('honoMetrics', error);
        }
      }
      return;
    }
    let failed = false;
    try {
      if (scope.enabled) await scope.run(new RequestTenant(c), next);
      else await next();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      try {
        // Handlers marked untracked() (the operations routes) serve probes and scrapes, not traffic.
        const route = matchedRoute(c);
        if (!isUntrackedRoute(route)) recordFetchExchange(c, route, start, failed);
      } catch (error) {
        // Metrics must never change the application's response; the failure is counted and named in health().
        writer.hookFailed('honoMetrics', error);
      }
    }
  };
  return ringmeterHono;

  /**
   * Any other runtime, and `app.request()`: record now, from the Fetch objects Hono already built. Only the
   * request's Content-Length is read, and only for methods that carry a body; response sizes are not measured
   * here, since a Fetch Response built by Hono (c.json, c.text) has no Content-Length to read and its body must
   * not be touched. On @hono/node-server both sizes are exact.
   */
  function recordFetchExchange(c: Context, route: RouterRoute | undefined, start: number, failed: boolean): void {
    const status = failed ? 500 : c.res.status;
    const method = c.req.method;
    const requestBytes = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 0 : byteCount(c.req.header('content-length'));
    writer.writeHttp(
      methodId(method),
      status,
      endpointOf(route, status),
      tenantOf(c, undefined),
      (performance.now() - start) / 1000,
      requestBytes,
      0,
    );
  }
}

function byteCount(header: string | null | undefined): number {
  if (header === null || header === undefined) return 0;
  const value = Number(header);
  return Number.isFinite(value) && value > 0 ? value : 0;
}
