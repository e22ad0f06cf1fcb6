/**
 * A shard worker's config from the resolved options: the options the table marks `worker` (src/options/table.ts),
 * with the shard's share of the bounds, and what the shard needs to read its records (the string table's layout)
 * and to export them (the resource every export carries).
 */
import { SDK_INFO } from '@opentelemetry/core';
import { VERSION } from '../contract/version.js';
import type { LiveWorkerSettings, WorkerConfig, WorkerOptions } from '../contract/worker-config.js';
import { workerOptions } from '../options/rows.js';
import type { ResolvedOptions } from '../options/table.js';

export function workerConfig(options: ResolvedOptions, shard: number, stringTableEntries: number): WorkerConfig {
  const resource: WorkerConfig['resource'] = {
    ...options.resourceAttributes,
    'service.name': options.serviceName,
    'service.instance.id': options.serviceInstanceId,
    ...SDK_INFO,
    'telemetry.distro.name': 'ringmeter',
    'telemetry.distro.version': VERSION,
  };
  // With several shards each is its own writer of the series without a tenant label (sizes, pool gauges, self
  // metrics): the shard attribute keeps those series distinct, as OpenTelemetry's single-writer rule asks.
  if (options.workers > 1) resource['ringmeter.shard'] = shard;
  return {
    ...(workerOptions(options) as WorkerOptions),
    // Each shard holds its share of the bounds.
    maxSeries: Math.ceil(options.maxSeries / options.workers),
    maxMemoryBytes: Math.floor(options.maxMemoryBytes / options.workers),
    shard,
    shards: options.workers,
    stringTableEntries,
    tenantSlots: options.maxTenants,
    resource,
  };
}

/** The part of a worker's config that configure() may change, from the options (fresh objects: never shared). */
export function liveWorkerSettings(options: ResolvedOptions): LiveWorkerSettings {
  return workerOptions(options, true) as LiveWorkerSettings;
}
