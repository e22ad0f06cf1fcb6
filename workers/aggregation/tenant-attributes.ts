import type { Attributes } from '@opentelemetry/api';
import { OVERFLOW_ID } from '../../src/contract/strings-layout.js';
import type { Dictionary } from '../dictionary.js';

const OVERFLOW_TENANT: Attributes = Object.freeze({ tenant_id: '__overflow__', 'otel.metric.overflow': true });

/** `tenant_id`, plus `otel.metric.overflow=true` for the tenant that collects everything beyond maxTenants. */
export function tenantAttributes(dictionary: Dictionary, tenant: number): Attributes {
  return tenant === OVERFLOW_ID ? OVERFLOW_TENANT : { tenant_id: dictionary.label(tenant) };
}

/**
 * `attributes` with `tenant_id` (and the overflow flag) appended in place, as `{ ...attributes, ...tenantAttributes }`
 * gives them, without the second object: the collection's per-point path (one object per point, not two).
 */
export function withTenant(attributes: Record<string, string | number | boolean>, dictionary: Dictionary, tenant: number): Attributes {
  if (tenant === OVERFLOW_ID) {
    attributes.tenant_id = '__overflow__';
    attributes['otel.metric.overflow'] = true;
  } else {
    attributes.tenant_id = dictionary.label(tenant);
  }
  return attributes;
}
