/**
 * Whether node-server will send a Response's body with a length Node knows (so its size can be read from the
 * header at finish, with nothing counted per write). Without Fetch objects being built to find out: @hono/node-server
 * keeps a lightweight Response's [status, body, headers] under a private symbol described 'cache', found here once
 * by its description. A body that is null, a string or bytes is sent with a Content-Length. Anything else (a
 * stream, a Response that was materialised, another node-server) answers false, and the body is counted as it
 * is written: slower, never wrong.
 */
let cacheKey: symbol | undefined;
/** Responses inspected in vain for the symbol; past the limit, stop looking (every body is then counted). */
let misses = 0;
const MISS_LIMIT = 64;

export function lengthKnown(res: Response): boolean {
  if (cacheKey === undefined) {
    if (misses >= MISS_LIMIT) return false;
    cacheKey = Object.getOwnPropertySymbols(res).find((symbol) => symbol.description === 'cache');
    if (cacheKey === undefined) {
      misses++;
      return false;
    }
  }
  const cache = (res as unknown as Record<symbol, unknown>)[cacheKey];
  if (!Array.isArray(cache)) return false;
  const body: unknown = cache[1];
  return body === null || typeof body === 'string' || body instanceof Uint8Array;
}
