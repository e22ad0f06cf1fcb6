import type { Context } from 'hono';
import type { RouterRoute } from 'hono/types';

/**
 * The route that answered a request, without building an array per request. `c.req.matchedRoutes` maps Hono's
 * match result to a new array (through a new closure) on every read; the result itself sits behind a getter keyed
 * by a symbol private to each copy of hono (the one 'hono/route' reads, which is why those helpers throw when the app
 * runs a second copy). So the symbol is found once per HonoRequest prototype, by what its getter returns: the
 * one whose result lists exactly the routes `matchedRoutes` lists. Where none does (another Hono), the answer comes
 * from `matchedRoutes`: slower, never different.
 */
type MatchResult = [Array<[[unknown, RouterRoute], unknown]>, ...unknown[]];

/** The prototype of the last request seen, and its match-result key (null: none found, use matchedRoutes). */
let knownPrototype: object | undefined;
let knownKey: symbol | null = null;
/** Every prototype inspected so far (a process may run apps on several copies of hono). */
const keys = new WeakMap<object, symbol | null>();

export function matchedRoute(c: Context): RouterRoute | undefined {
  const request = c.req;
  const prototype = Object.getPrototypeOf(request) as object;
  if (prototype !== knownPrototype) {
    let key = keys.get(prototype);
    if (key === undefined) {
      key = findMatchResultKey(request, prototype);
      // Undecided (nothing matched, so nothing to recognise the result by): ask again on the next request.
      if (key === undefined) return undefined;
      keys.set(prototype, key);
    }
    knownPrototype = prototype;
    knownKey = key;
  }
  if (knownKey === null) return request.matchedRoutes[request.routeIndex];
  const result = (request as unknown as Record<symbol, MatchResult>)[knownKey];
  return result[0][request.routeIndex]?.[0][1];
}

/** The key, null when no getter returns the match result, undefined when this request cannot tell. */
function findMatchResultKey(request: Context['req'], prototype: object): symbol | null | undefined {
  const expected = request.matchedRoutes;
  if (expected.length === 0) return undefined;
  for (const key of Object.getOwnPropertySymbols(prototype)) {
    if (typeof Object.getOwnPropertyDescriptor(prototype, key)?.get !== 'function') continue;
    try {
      const result: unknown = (request as unknown as Record<symbol, unknown>)[key];
      if (!Array.isArray(result) || !Array.isArray(result[0]) || result[0].length !== expected.length) continue;
      const entries = result[0] as unknown[];
      if (entries.every((entry, i) => Array.isArray(entry) && Array.isArray(entry[0]) && entry[0][1] === expected[i])) return key;
    } catch {
      // A getter that throws is not the one.
    }
  }
  return null;
}
