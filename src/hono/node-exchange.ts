import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * On @hono/node-server the raw Node request and response are at hand, and the response is written after the
 * middleware chain has returned (a streamed body much later). So the request is recorded when the response
 * closes, with the bytes that really went out. The byte counting is done by the three small functions below,
 * installed on the request's own objects (never on a prototype) only for the duration of that request.
 */
export interface NodeExchange {
  /** The Node response went out (or the connection died): its status and size are final. */
  responseClosed(statusCode: number, responseBytes: number): void;
  requestBytes: number;
  responseBytes: number;
}

const EXCHANGE = Symbol('ringmeter.exchange');
type Counted = { [EXCHANGE]?: NodeExchange };

function chunkBytes(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

// Each function passes its arguments on exactly as it got them: Node tells write/end/push overloads apart by them.
function countingWrite(this: ServerResponse & Counted, ...args: unknown[]): boolean {
  const exchange = this[EXCHANGE];
  if (exchange !== undefined) exchange.responseBytes += chunkBytes(args[0], args[1]);
  return Reflect.apply(Object.getPrototypeOf(this).write, this, args);
}

function countingEnd(this: ServerResponse & Counted, ...args: unknown[]): ServerResponse {
  const exchange = this[EXCHANGE];
  const [chunk, encoding] = args;
  if (exchange !== undefined && typeof chunk !== 'function') exchange.responseBytes += chunkBytes(chunk, encoding);
  return Reflect.apply(Object.getPrototypeOf(this).end, this, args);
}

/** The HTTP parser pushes each decoded body chunk of a request; counting them measures a chunked upload exactly. */
function countingPush(this: IncomingMessage & Counted, ...args: unknown[]): boolean {
  const exchange = this[EXCHANGE];
  const [chunk, encoding] = args;
  if (exchange !== undefined && chunk !== null) exchange.requestBytes += chunkBytes(chunk, encoding);
  return Reflect.apply(Object.getPrototypeOf(this).push, this, args);
}

function onClose(this: ServerResponse & Counted): void {
  const exchange = this[EXCHANGE];
  if (exchange === undefined) return;
  this[EXCHANGE] = undefined;
  // Requests whose responses carry no body by definition: whatever the app wrote never reached the client.
  const status = this.statusCode;
  const bodiless = this.req?.method === 'HEAD' || status === 204 || status === 304;
  exchange.responseClosed(status, bodiless ? 0 : exchange.responseBytes);
}

/**
 * Starts measuring one exchange. Request bytes come from Content-Length when the client sent one; a chunked
 * upload is counted as the parser delivers it.
 */
export function watchExchange(incoming: IncomingMessage, outgoing: ServerResponse, exchange: NodeExchange): void {
  const length = incoming.headers['content-length'];
  if (length !== undefined) {
    exchange.requestBytes = Number(length) || 0;
  } else if (incoming.headers['transfer-encoding'] !== undefined && !incoming.complete) {
    (incoming as IncomingMessage & Counted)[EXCHANGE] = exchange;
    incoming.push = countingPush as IncomingMessage['push'];
  }
  (outgoing as ServerResponse & Counted)[EXCHANGE] = exchange;
  outgoing.write = countingWrite as ServerResponse['write'];
  outgoing.end = countingEnd as ServerResponse['end'];
  outgoing.on('close', onClose);
}
