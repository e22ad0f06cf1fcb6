/**
 * Handlers whose requests honoMetrics does not record: the operations routes answer probes and scrapes, which
 * are not the service's traffic (a scrape every second would be most of a quiet service's requests). The mark is
 * on the handler function, which Hono keeps as the matched route's handler when a sub-app is mounted with
 * `app.route()`; honoMetrics reads it from `c.req.matchedRoutes`, as it reads the route pattern.
 */
import type { Context, Handler } from 'hono';
import type { RouterRoute } from 'hono/types';

const UNTRACKED = new WeakSet<object>();

/** Marks `handler` as not traffic, and returns it. */
export function untracked<H extends Handler>(handler: H): H {
  UNTRACKED.add(handler);
  return handler;
}

/** Whether the handler that answered `c` was marked with untracked(). */
export function isUntracked(c: Context): boolean {
  return isUntrackedRoute(c.req.matchedRoutes[c.req.routeIndex]);
}

/** Whether `route` (the matched route, read once by the caller: `c.req.matchedRoutes` builds an array each time) is untracked. */
export function isUntrackedRoute(route: RouterRoute | undefined): boolean {
  return route !== undefined && UNTRACKED.has(route.handler);
}
