/**
 * Hono handlers whose requests honoMetrics does not record (the operations routes: see http/untracked-handlers.ts).
 * Hono keeps the marked handler as the matched route's handler when a sub-app is mounted with `app.route()`;
 * honoMetrics reads it from the matched route, as it reads the route pattern.
 */
import type { Context, Handler } from 'hono';
import type { RouterRoute } from 'hono/types';
import { isUntrackedHandler, markUntracked } from '../http/untracked-handlers.js';

/** Marks `handler` as not traffic, and returns it. */
export function untracked<H extends Handler>(handler: H): H {
  return markUntracked(handler);
}

/** Whether the handler that answered `c` was marked with untracked(). */
export function isUntracked(c: Context): boolean {
  return isUntrackedRoute(c.req.matchedRoutes[c.req.routeIndex]);
}

/** Whether `route` (the matched route, read once by the caller: `c.req.matchedRoutes` builds an array each time) is untracked. */
export function isUntrackedRoute(route: RouterRoute | undefined): boolean {
  return route !== undefined && isUntrackedHandler(route.handler);
}
