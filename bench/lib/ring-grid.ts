import type { Collector } from '../../src/index.js';

/** One GET per tenant × route, the grid bench/export and bench/export-instructions export. */
export function recordGrid(collector: Collector, tenants: readonly string[], routes: readonly string[]): void {
  for (const tenantId of tenants)
    for (const route of routes)
      collector.recordHttp({
        method: 'GET',
        route,
        statusCode: 200,
        tenantId,
        durationSeconds: 0.02,
        requestBytes: 10,
        responseBytes: 100,
      });
}

/**
 * Resolves once the worker has read every record written so far (ring and overflow empty), polling every
 * `pollMillis`: a bench that times a flush or a phase drains first, so that it measures that, not the aggregation.
 */
export async function ringDrained(collector: Collector, pollMillis: number): Promise<void> {
  for (;;) {
    const { ring } = collector.stats();
    if (ring.used === 0 && ring.overflowRecords === 0) return;
    await new Promise((resolve) => setTimeout(resolve, pollMillis));
  }
}
