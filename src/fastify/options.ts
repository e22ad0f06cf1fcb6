import type { FastifyRequest } from 'fastify';
import type { Collector } from '../collector.js';
import { type HttpMetricsOptions, type ResolvedHttpOptions, resolveHttpOptions } from '../http/options.js';
import { requireObject } from '../options/checks.js';

/**
 * fastifyMetrics' options: the collector, and what every HTTP middleware takes. `tenant` receives Fastify's
 * request (what an onRequest or preHandler hook decorated it with, `request.user`): it is called when the response
 * has finished (and, for database attribution, when the first query asks).
 * [options.tenant=the x-tenant-id header] [options.categories=[]]
 */
export interface FastifyMetricsOptions extends HttpMetricsOptions<FastifyRequest> {
  collector: Collector;
}

/** What Fastify itself reads from a plugin's options (`register(plugin, { prefix })`): not ours to refuse. */
const REGISTER_OPTIONS = ['collector', 'prefix', 'logLevel', 'logSerializers'];

export function resolveFastifyOptions(options: FastifyMetricsOptions): ResolvedHttpOptions<FastifyRequest> & { collector: unknown } {
  requireObject('fastifyMetrics options', options);
  const { collector, ...http } = options;
  return {
    collector,
    ...resolveHttpOptions<FastifyRequest>('fastifyMetrics options', http, '(request) => string | undefined', REGISTER_OPTIONS),
  };
}
