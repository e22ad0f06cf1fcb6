import { IncomingMessage, ServerResponse, type IncomingHttpHeaders } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { RouterRoute } from 'hono/types';
import type { Collector } from '../collector.js';
import { categorizer } from '../strings/endpoint-categories.js';
import { methodId } from '../contract/http-methods.js';
import { internals } from '../internal.js';
import { UNKNOWN_ID, UNMATCHED_ID } from '../contract/strings-layout.js';
import type { TenantSource } from '../engine/request-scope.js';
import { lengthKnown } from './node-response.js';
import { countResponseWrites, settleIfClosed, watchExchange, type NodeExchange } from './node-exchange.js';
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

  /**
   * The tenant's string id, never negative. What the application's resolver gives that is no tenant id (a number,
   * an object, '', a reserved name), and a resolver that throws, are `invalid`, counted in
   * stats().rejectedBy['honoMetrics.tenant']: the application's mistake, never the request's failure.
   */
  function tenantOf(c: Context, headers: IncomingHttpHeaders | undefined): number {
    if (customTenant !== undefined) {
      let tenant: unknown;
      try {
        tenant = customTenant(c);
      } catch {
        return labels.invalidTenant(TENANT_REASON);
      }
      return labels.tenantId(tenant, TENANT_REASON);
    }
    try {
      // On node-server the header object is already built; elsewhere ask Hono (it reads only this header).
      const value = headers !== undefined ? headers[DEFAULT_TENANT_HEADER] : c.req.header(DEFAULT_TENANT_HEADER);
      const tenant = Array.isArray(value) ? value[0] : value;
      // An empty header is a client that sent none: anonymous, like a missing one.
      return tenant === undefined || tenant === '' ? UNKNOWN_ID : labels.tenantId(tenant, TENANT_REASON);
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

  /**
   * A request on @hono/node-server: recorded when both the handler chain and the response are done, whichever
   * comes last (the response, but for a client that went away during a streamed body). Instances are reused
   * (see `pool`): they are fixed-shape slots, released once their record is written.
   */
  class NodeRequest implements NodeExchange {
    requestBytes = 0;
    responseBytes = 0;
    counted = false;
    uploadCounted = false;
    response: ServerResponse | undefined = undefined;
    queued: NodeExchange | undefined = undefined;
    private start = 0;
    private method = 0;
    private endpoint = -1;
    private tenant = UNKNOWN_ID;
    private status = 0;
    private done = false;
    private closed = false;

    open(start: number, method: number, tenant: number): this {
      this.start = start;
      this.method = method;
      this.tenant = tenant;
      this.requestBytes = 0;
      this.responseBytes = 0;
      this.counted = false;
      this.uploadCounted = false;
      this.done = false;
      this.closed = false;
      return this;
    }

    handlerDone(c: Context, route: RouterRoute | undefined, outgoing: ServerResponse, failed: boolean): void {
      if (customTenant !== undefined) this.tenant = tenantOf(c, undefined);
      const res = c.res;
      this.endpoint = endpointOf(route, failed ? 500 : res.status);
      // Only a body whose length Node will not know is counted write by write (see node-exchange.ts).
      if (!failed && !outgoing.headersSent && !lengthKnown(res)) countResponseWrites(outgoing, this);
      this.done = true;
      if (this.closed) this.emit();
      else settleIfClosed(outgoing, this);
    }

    recordingFailed(error: unknown): void {
      writer.hookFailed('honoMetrics', error);
    }

    responseDone(statusCode: number, responseBytes: number): void {
      this.status = statusCode;
      this.responseBytes = responseBytes;
      this.closed = true;
      if (this.done) this.emit();
    }

    private emit(): void {
      writer.writeHttp(
        this.method,
        this.status,
        this.endpoint,
        this.tenant,
        (performance.now() - this.start) / 1000,
        this.requestBytes,
        this.responseBytes,
      );
      if (pool.length < POOL_LIMIT) pool.push(this);
    }
  }

  /** Slots kept for reuse at most; beyond, a burst's slots are left to the garbage collector. */
  const POOL_LIMIT = 1024;
  /** Slots whose request is recorded, ready for the next one: no allocation per request in the steady state. */
  const pool: NodeRequest[] = [];

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
      let exchange: NodeRequest | undefined;
      try {
        exchange = (pool.pop() ?? new NodeRequest()).open(start, methodId(incoming.method ?? ''), tenant);
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
          if (tracked && exchange !== undefined) exchange.handlerDone(c, route, outgoing, failed);
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
