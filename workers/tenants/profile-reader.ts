import type { EndpointCell, TableCell, TenantAnalytics } from '../../src/contract/analytics.js';
import { QUERY_TYPES } from '../../src/contract/codes.js';
import { isTenantSlotId } from '../../src/contract/strings-layout.js';
import { methodName } from '../../src/contract/http-methods.js';
import type { ActivityThresholds } from '../../src/contract/worker-config.js';
import type { Dictionary } from '../dictionary.js';
import type { SqlResolver } from '../labels/sql-resolver.js';
import { activityPatterns } from './activity-pattern.js';
import type { ActivityWindows } from './activity-window.js';
import type { EndpointCells } from './endpoint-cells.js';
import { onboardingSince, type Profile } from './tenant-profile.js';

/**
 * The read side of the tenant profiles (TenantProfiles.analytics): a profile as the analytics contract gives it,
 * ids decoded to labels only here. Read-only: nothing here touches export state or charges the budget.
 */
export class ProfileReader {
  constructor(
    private readonly dictionary: Dictionary,
    private readonly sql: SqlResolver,
    private readonly windows: ActivityWindows,
    private readonly cells: EndpointCells,
    private readonly thresholds: ActivityThresholds,
  ) {}

  /** One profile as the analytics contract gives it, `tenant` being its decoded id. */
  tenant(tenant: string, p: Profile, nowMillis: number): TenantAnalytics {
    const requestsLastHour = this.windows.lastHour(p.window, nowMillis);
    const endpoints: EndpointCell[] = [];
    let celled = 0;
    for (const [key, cell] of p.endpoints) {
      const [method, route] = this.endpointName(key);
      const counts = this.cells.read(cell, nowMillis);
      celled += counts.requestsLastHour;
      endpoints.push({ method, route, ...counts });
    }
    if (p.endpointOverflow !== undefined) {
      // The overflow cell keeps no window: its hour is the tenant's less its cells' (every window counts the same minutes).
      endpoints.push({ method: '_OTHER', route: '__overflow__', ...p.endpointOverflow, requestsLastHour: requestsLastHour - celled });
    }
    const tables: TableCell[] = [];
    for (const [key, cell] of p.tables ?? []) {
      const id = Math.floor(key / 16);
      const table = (key & 8) !== 0 ? this.sql.tables.name(id) : this.dictionary.label(id);
      tables.push({ table, queryType: QUERY_TYPES[key & 7] ?? 'OTHER', ...cell });
    }
    if (p.tableOverflow !== undefined) tables.push({ table: '__overflow__', queryType: 'OTHER', ...p.tableOverflow });
    return {
      tenant,
      pseudo: !isTenantSlotId(p.tenantId),
      firstSeenMillis: p.firstSeenMillis,
      lastSeenMillis: p.lastSeenMillis,
      requests: p.requests,
      serverErrors: p.serverErrors,
      clientErrors: p.clientErrors,
      durationSumSeconds: p.durationSumSeconds,
      latency: p.latency.snapshot(),
      requestBytes: p.requestBytes,
      responseBytes: p.responseBytes,
      processedBytes: this.processedBytes(p),
      requestsLastHour,
      pattern: activityPatterns(this.windows.perMinute(p.window), requestsLastHour, onboardingSince(p), nowMillis, this.thresholds)[0],
      anomalies: p.interval.anomalies(),
      costShare: p.interval.costShare,
      endpoints,
      tables,
    };
  }

  /** Bytes by data_type, as tenant_data_processed_bytes labels them. */
  private processedBytes(p: Profile): Record<string, number> {
    const bytes: Record<string, number> = { request: p.requestBytes, response: p.responseBytes };
    for (const [resource, total] of p.usageBytes ?? []) bytes[this.dictionary.label(resource)] = total;
    if (p.usageOverflowBytes !== 0) bytes.__overflow__ = p.usageOverflowBytes;
    return bytes;
  }

  /** Method and route of an endpoint cell key (endpoint id × 16 + method id). */
  endpointName(key: number): [string, string] {
    return [methodName(key & 15), this.dictionary.endpoint(Math.floor(key / 16)).route];
  }
}
