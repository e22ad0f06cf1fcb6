import { subscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { exchangeOf } from '../http/node-exchange.js';
import { ExpressSlot } from './express-slot.js';

/**
 * Express 5's router (the `router` package, 2.3 and later) publishes every middleware and handler it runs on the
 * `express.router.request` tracing channel, with the pattern that matched. That is the only place the mount
 * patterns are known without patching Express (`req.baseUrl` holds what they matched), so expressMetrics listens
 * there: one process-wide subscription, made when the first request is seen. A published layer names its
 * response, and the response's connection queue (http/node-exchange.ts) names its slot: nothing per request.
 */
const START = 'tracing:express.router.request:start';

interface LayerStart {
  req?: { baseUrl?: unknown };
  res?: ServerResponse;
  layer?: object;
  handler?: unknown;
  route?: unknown;
  errorHandler?: boolean;
}

/** Reported failures go to the slot's owner; nothing may escape into the router (it would change the request). */
function onLayerStart(message: unknown): void {
  const { req, res, layer, handler, route, errorHandler } = message as LayerStart;
  if (res === undefined || layer === undefined || errorHandler === true) return;
  const slot = exchangeOf(res);
  if (!(slot instanceof ExpressSlot)) return;
  try {
    // A route's own handlers are the layers of its stack, which carry a `method` (undefined for `.all()`).
    const routeHandler = Object.hasOwn(layer, 'method');
    const baseUrl = typeof req?.baseUrl === 'string' ? req.baseUrl : '';
    slot.layerStarted(routeHandler, handler, route, baseUrl);
  } catch (error) {
    slot.recordingFailed(error);
  }
}

let subscribed = false;

/** Subscribes once for the whole process, whatever the number of apps and middlewares. */
export function trackRoutes(): void {
  if (subscribed) return;
  subscribe(START, onLayerStart);
  subscribed = true;
}
