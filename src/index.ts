export { Collector, createCollector } from './collector.js';
export type {
  CollectorHealth,
  CollectorStats,
  FlushOptions,
  HttpRecord,
  ShutdownOptions,
  QueryRecord,
  QueryType,
  TenantResourceRecord,
  TransactionRecord,
} from './collector.js';
export type { LatencySummary, TenantEndpointShare, TenantReport, TenantSummary, TenantTableShare } from './operations/tenant-report.js';
export { DEFAULT_OPTIONS } from './options/resolve.js';
export { LABEL_LIMITS } from './contract/label-text.js';
export { VALUE_LIMITS } from './api/record-values.js';
export type {
  CollectorOptions,
  ExporterName,
  MetricFamiliesOptions,
  OtlpOptions,
  ResourceAttributeValue,
} from './options/table.js';
export type { LiveOptions } from './options/live.js';
export { METRICS } from './contract/metrics.js';
export type { MetricDefinition, MetricKind } from './contract/metrics.js';
export { DEFAULT_CATEGORY_RULES } from './strings/endpoint-categories.js';
export type { CategoryRule } from './strings/endpoint-categories.js';
export { VERSION } from './contract/version.js';
