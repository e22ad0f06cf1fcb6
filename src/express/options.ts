import type { IncomingMessage } from 'node:http';
import { type HttpMetricsOptions, type ResolvedHttpOptions, resolveHttpOptions } from '../http/options.js';

/**
 * expressMetrics' options. `tenant` receives Express's request (type it as `Request` to read what middleware set,
 * `req.user`): it is called when the response has finished (and, for database attribution, when the first query
 * asks). [options.tenant=the x-tenant-id header] [options.categories=[]]
 */
export type ExpressMetricsOptions<Req extends IncomingMessage = IncomingMessage> = HttpMetricsOptions<Req>;

export function resolveExpressOptions<Req extends IncomingMessage>(options?: ExpressMetricsOptions<Req>): ResolvedHttpOptions<Req> {
  return resolveHttpOptions('expressMetrics options', options, '(req) => string | undefined');
}
