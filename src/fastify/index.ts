export { fastifyMetrics } from './plugin.js';
export type { FastifyMetricsOptions } from './options.js';
export { DEFAULT_TENANT_HEADER } from '../http/options.js';
export type { CategoryRule } from '../strings/endpoint-categories.js';
export { markUntracked as untracked } from '../http/untracked-handlers.js';
