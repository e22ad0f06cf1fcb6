import type { ServerResponse } from 'node:http';
import { UNKNOWN_ID } from '../contract/strings-layout.js';
import type { NodeExchange } from './node-exchange.js';

/** What a middleware does with its slots: writes the record of a finished one, and counts a failure. */
export interface SlotOwner<S extends RequestSlot> {
  /** Both the handler chain and the response are done: write the record (then the slot may be reused). */
  complete(slot: S): void;
  /** Recording threw, in Node's callbacks: count it for stats() and health() (it must never reach Node). */
  failed(error: unknown): void;
}

/**
 * One request on a Node HTTP server, shared by the Hono (node-server), Express and Fastify middlewares: recorded
 * when both the handler chain and the response are done, whichever comes last (the response, but for a client that
 * went away during a streamed body). Slots are fixed-shape and reused (see `SlotPool`): nothing is allocated per
 * request in the steady state.
 */
export class RequestSlot implements NodeExchange {
  requestBytes = 0;
  responseBytes = 0;
  counted = false;
  uploadCounted = false;
  response: ServerResponse | undefined = undefined;
  queued: NodeExchange | undefined = undefined;
  start = 0;
  method = 0;
  endpoint = -1;
  tenant = UNKNOWN_ID;
  status = 0;
  private handled = false;
  private closed = false;

  constructor(private readonly owner: SlotOwner<RequestSlot>) {}

  open(start: number, method: number, tenant: number): this {
    this.start = start;
    this.method = method;
    this.tenant = tenant;
    this.endpoint = -1;
    this.status = 0;
    this.requestBytes = 0;
    this.responseBytes = 0;
    this.counted = false;
    this.uploadCounted = false;
    this.handled = false;
    this.closed = false;
    return this;
  }

  /** Whether Node already reported the response done (then `handlerDone` records at once). */
  get responseClosed(): boolean {
    return this.closed;
  }

  /** The handler chain is done (Express and Fastify: from the start, since they write from inside it). */
  handlerDone(): void {
    this.handled = true;
    if (this.closed) this.owner.complete(this);
  }

  responseDone(statusCode: number, responseBytes: number): void {
    this.status = statusCode;
    this.responseBytes = responseBytes;
    this.closed = true;
    if (this.handled) this.owner.complete(this);
  }

  recordingFailed(error: unknown): void {
    this.owner.failed(error);
  }
}

/** Slots kept for reuse at most; beyond, a burst's slots are left to the garbage collector. */
const POOL_LIMIT = 1024;

/** Slots whose request is recorded, ready for the next one. */
export class SlotPool<S extends RequestSlot> {
  private readonly free: S[] = [];
  constructor(private readonly create: () => S) {}

  take(): S {
    return this.free.pop() ?? this.create();
  }

  release(slot: S): void {
    if (this.free.length < POOL_LIMIT) this.free.push(slot);
  }
}
