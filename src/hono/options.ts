import type { Context } from 'hono';
import { type HttpMetricsOptions, type ResolvedHttpOptions, resolveHttpOptions } from '../http/options.js';

export { DEFAULT_TENANT_HEADER } from '../http/options.js';

/**
 * honoMetrics' options. `tenant` may read headers or `c.get(…)` values set by middleware that runs after this
 * one: it is called once the handler has finished (and, for database attribution, when the first query asks).
 * [options.tenant=the x-tenant-id header] [options.categories=[]]
 */
export type HonoMetricsOptions = HttpMetricsOptions<Context>;

/** The filled-in options; `tenant` is undefined when the built-in header lookup is used (it has a fast path). */
export type ResolvedHonoOptions = ResolvedHttpOptions<Context>;

export function resolveHonoOptions(options?: HonoMetricsOptions): ResolvedHonoOptions {
  return resolveHttpOptions('honoMetrics options', options, '(c) => string | undefined');
}
