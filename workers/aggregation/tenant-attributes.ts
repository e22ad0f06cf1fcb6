import type { Attributes } from '@opentelemetry/api';
import { OVERFLOW_ID } from '../../src/contract/strings-layout.js';
import type { Dictionary } from '../dictionary.js';

const OVERFLOW_TENANT: Attributes = Object.freeze({ tenant_id: '__overflow__', 'otel.metric.overflow': true });

/** `tenant_id`, plus `otel.metric.overflow=true` for the tenant that collects everything beyond maxTenants. */
export function tenantAttributes(dictionary: Dictionary, tenant: number): Attributes {
  return tenant === OVERFLOW_ID ? OVERFLOW_TENANT : { tenant_id: dictionary.label(tenant) };
}
