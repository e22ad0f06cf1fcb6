import type { IncomingMessage, ServerResponse } from 'node:http';
// The module's binding, not the global getter (see hono/middleware.ts).
import { performance } from 'node:perf_hooks';
import { methodId } from '../contract/http-methods.js';
import { UNKNOWN_ID } from '../contract/strings-layout.js';
import type { TenantSource } from '../engine/request-scope.js';
import type { CollectorInternals } from '../internal.js';
import { countResponseWrites, watchExchange } from './node-exchange.js';
import { DEFAULT_TENANT_HEADER } from './options.js';
import { RequestSlot, SlotPool, type SlotOwner } from './request-slot.js';
import { headerTenant, resolvedTenant } from './tenant-of.js';

/** A request of a framework that writes its response from inside its handler chain (Express, Fastify). */
export class FrameworkSlot<R> extends RequestSlot {
  /** The framework's request, for its route and a custom tenant resolver (cleared once recorded). */
  request: R | undefined = undefined;

  /** Starts the slot's framework-side state for `request` (a subclass resets what it learns per request). */
  begin(request: R): void {
    this.request = request;
  }
}

export interface FrameworkRecordingSpec<R, S extends FrameworkSlot<R>> {
  /** How failures and invalid tenants are named (`expressMetrics`: `stats().rejectedBy['expressMetrics.tenant']`). */
  hook: string;
  hooks: CollectorInternals;
  tenant: ((request: R) => string | null | undefined) | undefined;
  createSlot(owner: SlotOwner<S>): S;
  /** The endpoint id of a finished request; undefined: not recorded (its handler was marked untracked()). */
  endpointOf(slot: S): number | undefined;
}

/**
 * What the Express and Fastify middlewares share: a request measured from its start to its response's finish on
 * the Node objects (http/node-exchange.ts), as honoMetrics measures one on node-server, and run inside the request
 * scope when a database hook asked for it. These frameworks write from inside the chain, a stream as it flows,
 * before a middleware could know whether the length will be known: every body is counted as it is written.
 * Returns the per-request step: `begin(request, incoming, outgoing, next)` calls `next` exactly once.
 */
export function frameworkRecording<R, S extends FrameworkSlot<R>>(
  spec: FrameworkRecordingSpec<R, S>,
): (request: R, incoming: IncomingMessage, outgoing: ServerResponse, next: () => void) => void {
  const { hook, tenant: customTenant } = spec;
  // `families`: the collector's switches, changed in place by configure(): read per request, never captured as a value.
  const { labels, writer, requestScope: scope, families } = spec.hooks;
  const reason = `${hook}.tenant`;

  /** Resolves the request's tenant when a database query first asks for it, then remembers it. */
  class RequestTenant implements TenantSource {
    private id = -1;
    constructor(private readonly request: R) {}
    tenantId(): number {
      if (this.id < 0) this.id = customTenant === undefined ? UNKNOWN_ID : resolvedTenant(labels, customTenant, this.request, reason);
      return this.id;
    }
  }

  /** Writes a finished request's record (none for an untracked handler), then frees its slot. */
  const owner: SlotOwner<S> = {
    complete(slot) {
      try {
        const endpoint = spec.endpointOf(slot);
        if (endpoint !== undefined) {
          const request = slot.request;
          const tenant =
            customTenant !== undefined && request !== undefined ? resolvedTenant(labels, customTenant, request, reason) : slot.tenant;
          writer.writeHttp(
            slot.method,
            slot.status,
            endpoint,
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
      writer.hookFailed(hook, error);
    },
  };
  const pool = new SlotPool(() => spec.createSlot(owner));

  return function begin(request, incoming, outgoing, next) {
    if (!families.http) return next();
    const start = performance.now();
    let tenant = UNKNOWN_ID;
    try {
      // A getter that checks a symbol slot: read once.
      const headers = incoming.headers;
      // The built-in tenant is the raw header, final from the start: read it now, once.
      if (customTenant === undefined) tenant = headerTenant(labels, headers[DEFAULT_TENANT_HEADER], reason);
      const slot = pool.take().open(start, methodId(incoming.method ?? ''), tenant);
      slot.begin(request);
      watchExchange(incoming, headers, outgoing, slot);
      countResponseWrites(outgoing, slot);
      // Recorded when Node reports the response finished, or when the connection closes before.
      slot.handlerDone();
    } catch (error) {
      writer.hookFailed(hook, error);
    }
    if (!scope.enabled) return next();
    // Both frameworks run the rest of the request from inside `next`: the scope reaches the handlers.
    scope.run(customTenant === undefined ? tenant : new RequestTenant(request), next);
  };
}
