import type { IncomingMessage } from 'node:http';
import { FrameworkSlot } from '../http/framework-recording.js';
import { isUntrackedHandler } from '../http/untracked-handlers.js';

/**
 * An Express request: a RequestSlot that also learns, from the router's tracing channel (route-tracking.ts), the
 * route pattern that answered, with the patterns its routers were mounted at. `req.baseUrl` is the path a mount
 * *matched* (`/tenants/acme`), never its pattern (`/tenants/:tenantId`), so each mount's pattern is kept by the
 * matched prefix it produced, for the handlers below it.
 */
export class ExpressSlot<Req extends IncomingMessage = IncomingMessage> extends FrameworkSlot<Req> {
  /** The full pattern of the last route whose handler ran; undefined: none ran (a 404 of no route). */
  route: string | undefined = undefined;
  /** Whether that handler was marked untracked(): the request is then not recorded. */
  untracked = false;
  /** Whether the router reported any layer (router ≥ 2.3 has the tracing channel; older ones report nothing). */
  traced = false;
  /** Mounts entered: matched prefix (req.baseUrl inside the mount) and pattern, in pairs, outermost first. */
  private readonly mounts: string[] = [];

  override begin(request: Req): void {
    super.begin(request);
    this.route = undefined;
    this.untracked = false;
    this.traced = false;
    this.mounts.length = 0;
  }

  /**
   * A layer starts: `pattern` is what it matched with (a route's path for a route's handlers, a mount path for
   * middleware and routers), `baseUrl` the request's at that moment (the prefix its mount matched).
   */
  layerStarted(routeHandler: boolean, handler: unknown, pattern: unknown, baseUrl: string): void {
    this.traced = true;
    if (routeHandler) {
      this.route = joinPattern(this.mountPattern(baseUrl), pattern);
      this.untracked = isUntrackedHandler(handler);
    } else if (pattern !== '/' && baseUrl !== '') {
      this.mountEntered(baseUrl, joinPattern(this.parentPattern(baseUrl), pattern));
    }
  }

  /** The latest mount to start at a prefix is the one whose layers run next: it replaces an earlier one's pattern. */
  private mountEntered(baseUrl: string, pattern: string): void {
    for (let i = 0; i < this.mounts.length; i += 2) {
      if (this.mounts[i] === baseUrl) {
        this.mounts[i + 1] = pattern;
        return;
      }
    }
    this.mounts.push(baseUrl, pattern);
  }

  /** The pattern of the mount that matched `baseUrl` ('' at the top; undefined when unknown). */
  private mountPattern(baseUrl: string): string | undefined {
    if (baseUrl === '') return '';
    for (let i = this.mounts.length - 2; i >= 0; i -= 2) if (this.mounts[i] === baseUrl) return this.mounts[i + 1];
    return undefined;
  }

  /** The pattern of the innermost known mount whose matched prefix `baseUrl` extends. */
  private parentPattern(baseUrl: string): string {
    for (let i = this.mounts.length - 2; i >= 0; i -= 2) {
      const prefix = this.mounts[i];
      if (baseUrl.length > prefix.length && baseUrl.startsWith(prefix) && baseUrl[prefix.length] === '/') return this.mounts[i + 1];
    }
    return '';
  }
}

/**
 * `/api` + `/orders/:id` → `/api/orders/:id`; a route `/` under a mount is the mount's path. A mount that is not
 * known (a mount the router did not report) shows no prefix rather than the raw path it matched.
 */
function joinPattern(base: string | undefined, pattern: unknown): string {
  const path = typeof pattern === 'string' ? pattern : String(pattern);
  if (base === undefined || base === '') return path;
  return path === '/' ? base : base + path;
}
