import { subscribe } from 'node:diagnostics_channel';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/**
 * On a Node HTTP server (@hono/node-server, Express, Fastify) the raw Node request and response are at hand, and
 * the response is written after the middleware chain has returned or from inside it (a streamed body much later).
 * So a request is recorded when Node reports its response finished, with the bytes that really went out.
 *
 * Why it is built this way (each measured, see docs/benchmarks.md): per-request listeners, per-request own
 * properties on Node's objects and per-request WeakMap entries cost microseconds per request, in Node's and V8's
 * code more than in ours (an extra 'close' listener turns the response's listener slot into an array; functions
 * written onto a ServerResponse give it a shape of its own, so Node's http code sees several shapes; a WeakMap
 * keyed by a new object goes through V8's runtime to give the object an identity hash, and its delete too). So:
 * - completion comes from one process-wide diagnostics_channel subscription ('http.server.response.finish'),
 *   subscribed on the first request;
 * - the exchanges waiting for it are queued per connection, oldest first, found through a WeakMap keyed by the
 *   socket: one entry per connection, set on its first request, never per request. HTTP/1.1 sends the responses
 *   of one connection in the order of its requests, and Node finishes each before it starts the next, so the
 *   finishing response is the head of its connection's queue (the queue is searched when it is not);
 * - a body of known length is counted from the length Node put in the header (`_contentLength`, read at finish,
 *   when it is final); only a streamed body is counted as it is written, by wrappers installed on that one
 *   response (see `countResponseWrites`), and then a 'close' listener records it even if the client goes away;
 * - request bytes come from Content-Length; a chunked upload is counted as the parser pushes it.
 */
export interface NodeExchange {
  /** The Node response went out (or, for a watched stream, the connection died): status and size are final. */
  responseDone(statusCode: number, responseBytes: number): void;
  requestBytes: number;
  /** Bytes counted by the write wrappers (streamed bodies only). */
  responseBytes: number;
  /** Whether the write wrappers are installed: then `responseBytes` is the body size. */
  counted: boolean;
  /** Whether the request's body is counted as the parser pushes it (a chunked upload). */
  uploadCounted: boolean;
  /** The response this exchange waits for, while it waits (set and cleared here). */
  response: ServerResponse | undefined;
  /** The next exchange of the same connection's queue (set and cleared here). */
  queued: NodeExchange | undefined;
  /** Recording this exchange threw: count it for stats() and health() (it must never reach Node). */
  recordingFailed(error: unknown): void;
}

/** Node's internal view of a response: read only, at finish, when Node has settled them. */
interface ResponseInternals {
  _contentLength: number | null;
  _hasBody: boolean;
  chunkedEncoding: boolean;
}

/**
 * One connection's exchanges waiting for their response to finish, oldest first, linked through the exchanges
 * themselves (pooled slots: nothing is allocated per request). Lives as long as its socket.
 */
class ConnectionQueue {
  head: NodeExchange | undefined = undefined;
  tail: NodeExchange | undefined = undefined;

  push(exchange: NodeExchange): void {
    exchange.queued = undefined;
    if (this.tail === undefined) this.head = exchange;
    else this.tail.queued = exchange;
    this.tail = exchange;
  }

  /** Takes out the oldest exchange waiting for `response` (and, if given, that one); undefined when none does. */
  take(response: ServerResponse, only?: NodeExchange): NodeExchange | undefined {
    let previous: NodeExchange | undefined;
    let exchange = this.head;
    while (exchange !== undefined && (exchange.response !== response || (only !== undefined && exchange !== only))) {
      previous = exchange;
      exchange = exchange.queued;
    }
    if (exchange === undefined) return undefined;
    if (previous === undefined) this.head = exchange.queued;
    else previous.queued = exchange.queued;
    if (this.tail === exchange) this.tail = previous;
    exchange.queued = undefined;
    return exchange;
  }
}

/** Each connection's queue, by the socket Node gives both the request and the finish message. */
const connections = new WeakMap<object, ConnectionQueue>();
let subscribed = false;

/** Requests whose responses carry no body by definition: whatever the app wrote never reached the client. */
function bodiless(response: ServerResponse): boolean {
  const status = response.statusCode;
  return status === 204 || status === 304 || response.req?.method === 'HEAD';
}

/** Records `exchange`, already taken out of its queue. */
function finish(response: ServerResponse, exchange: NodeExchange): void {
  exchange.response = undefined;
  // The slot may serve another request once recorded: this response must not count into it any more.
  // (An upload the handler never read may still be arriving.)
  if (exchange.counted) writers.delete(response);
  if (exchange.uploadCounted) writers.delete(response.req);
  const raw = response as ServerResponse & ResponseInternals;
  // A fixed-length body: Node sent exactly the length in its header (it set `_contentLength` from the header,
  // from node-server's computed length, or from end(chunk)). Anything else was counted as it was written.
  const fixed = !exchange.counted && raw._hasBody && !raw.chunkedEncoding && typeof raw._contentLength === 'number';
  const bytes = bodiless(response) ? 0 : fixed ? (raw._contentLength as number) : exchange.responseBytes;
  exchange.responseDone(response.statusCode, bytes);
}

/** Takes every exchange waiting for `response` out of `socket`'s queue and records it (two middlewares: two). */
function finishAll(socket: object | null | undefined, response: ServerResponse): void {
  const queue = socket === null || socket === undefined ? undefined : connections.get(socket);
  if (queue === undefined) return;
  for (let exchange = queue.take(response); exchange !== undefined; exchange = queue.take(response)) finishSafely(response, exchange);
}

function onResponseFinish(message: unknown): void {
  const { response, socket } = message as { response?: ServerResponse; socket?: object };
  if (response !== undefined) finishAll(socket ?? response.socket, response);
}

/**
 * Finishes an exchange from Node's own callbacks. Nothing may escape: diagnostics_channel re-throws a subscriber's
 * error on the next tick, where it would crash the host process.
 */
function finishSafely(response: ServerResponse, exchange: NodeExchange): void {
  try {
    finish(response, exchange);
  } catch (error) {
    exchange.recordingFailed(error);
  }
}

/** A watched stream whose connection closed before its response finished. */
function onClose(this: ServerResponse): void {
  const exchange = writers.get(this);
  if (exchange !== undefined && exchange.response === this) finishAll(this.req?.socket, this);
}

/**
 * Starts measuring one exchange (`headers`: the request's, read once by the caller). Request bytes come from
 * Content-Length when the client sent one; a chunked upload is counted as the parser delivers it.
 */
export function watchExchange(
  incoming: IncomingMessage,
  headers: IncomingHttpHeaders,
  outgoing: ServerResponse,
  exchange: NodeExchange,
): void {
  if (!subscribed) {
    // One subscription for the whole process, whatever the number of servers and middlewares: the finish
    // message names the socket and the response, and the socket's queue says whether (and to whom) it matters.
    subscribe('http.server.response.finish', onResponseFinish);
    subscribed = true;
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    exchange.requestBytes = Number(length) || 0;
  } else if (headers['transfer-encoding'] !== undefined && !incoming.complete) {
    countRequestPushes(incoming, exchange);
  }
  const socket = incoming.socket;
  let queue = connections.get(socket);
  if (queue === undefined) {
    queue = new ConnectionQueue();
    connections.set(socket, queue);
  }
  exchange.response = outgoing;
  queue.push(exchange);
}

/**
 * Records at once an exchange whose client left while the handler ran: Node will report no finish for it. Called
 * when the handler chain has returned.
 */
export function settleIfClosed(outgoing: ServerResponse, exchange: NodeExchange): void {
  if (!outgoing.destroyed || exchange.response !== outgoing) return;
  const taken = connections.get(outgoing.req.socket)?.take(outgoing, exchange);
  if (taken !== undefined) finish(outgoing, taken);
}

/**
 * Counts the body as it is written, for a response whose length Node will not know (a stream). Called when the
 * handler chain has returned, before node-server writes anything; the connection's end is watched too, since a
 * stream can last long enough for the client to leave.
 */
export function countResponseWrites(outgoing: ServerResponse, exchange: NodeExchange): void {
  exchange.counted = true;
  writers.set(outgoing, exchange);
  outgoing.write = countingWrite as ServerResponse['write'];
  outgoing.end = countingEnd as ServerResponse['end'];
  outgoing.once('close', onClose);
}

/** The exchange each wrapped response or request counts into. */
const writers = new WeakMap<object, NodeExchange>();

function chunkBytes(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

// Each function passes its arguments on exactly as it got them: Node tells write/end/push overloads apart by them.
function countingWrite(this: ServerResponse, ...args: unknown[]): boolean {
  const exchange = writers.get(this);
  if (exchange !== undefined) exchange.responseBytes += chunkBytes(args[0], args[1]);
  return Reflect.apply(Object.getPrototypeOf(this).write, this, args);
}

function countingEnd(this: ServerResponse, ...args: unknown[]): ServerResponse {
  const exchange = writers.get(this);
  const [chunk, encoding] = args;
  if (exchange !== undefined && typeof chunk !== 'function') exchange.responseBytes += chunkBytes(chunk, encoding);
  return Reflect.apply(Object.getPrototypeOf(this).end, this, args);
}

/** The HTTP parser pushes each decoded body chunk of a request; counting them measures a chunked upload exactly. */
function countRequestPushes(incoming: IncomingMessage, exchange: NodeExchange): void {
  exchange.uploadCounted = true;
  writers.set(incoming, exchange);
  incoming.push = countingPush as IncomingMessage['push'];
}

function countingPush(this: IncomingMessage, ...args: unknown[]): boolean {
  const exchange = writers.get(this);
  const [chunk, encoding] = args;
  if (exchange !== undefined && chunk !== null) exchange.requestBytes += chunkBytes(chunk, encoding);
  return Reflect.apply(Object.getPrototypeOf(this).push, this, args);
}

/**
 * The exchange waiting for `response`, found through its connection's queue (no per-request map): for code that
 * learns about a request from elsewhere than the middleware (Express's router tracing channel names the response).
 */
export function exchangeOf(response: ServerResponse): NodeExchange | undefined {
  const socket = response.req?.socket;
  const queue = socket === null || socket === undefined ? undefined : connections.get(socket);
  let exchange = queue?.head;
  while (exchange !== undefined && exchange.response !== response) exchange = exchange.queued;
  return exchange;
}
