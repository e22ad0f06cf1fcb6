export { honoMetrics } from './middleware.js';
export type { HonoMetricsOptions } from './options.js';
export { DEFAULT_TENANT_HEADER } from './options.js';
export type { CategoryRule } from '../strings/endpoint-categories.js';
export { operationsRoutes } from './operations-routes.js';
export type { OperationsPaths, OperationsRoutesOptions } from './operations-options.js';
export { untracked } from './untracked.js';
export type { EndpointReport } from '../operations/endpoint-analytics.js';
export type { DatabaseReport } from '../operations/database-analytics.js';
