import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { operationsRoutes } from 'ringmeter/hono';
import { startPipeline, total } from './support/harness.js';

describe('an OTLP partial success (issue #28, item 6)', () => {
  it('is degraded (HTTP 200 on /health), never failing; the refused points are counted and the flush says so', async () => {
    const { collector, receiver } = await startPipeline();
    receiver.respond = () => ({ status: 200, body: '{"partialSuccess":{"rejectedDataPoints":"1","errorMessage":"quota exceeded"}}' });
    const app = new Hono();
    app.route('/', operationsRoutes(collector));
    try {
      collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      // A flush asked for everything; the backend took the request but refused one point of it: it says so.
      const refusal = `the backend at ${receiver.url} rejected 1 data points: quota exceeded`;
      await expect(collector.flush()).rejects.toThrow(new Error(`ringmeter: export failed: ${refusal}`));
      expect(total(receiver.requests[0].points, 'http_requests_total')).toBe(1);

      const health = collector.health();
      expect(health.status).toBe('degraded');
      expect(health.reasons).toEqual(['the backend refused data points (1 in total)']);
      expect(health.stats.export).toMatchObject({ succeeded: 1, failed: 0, rejectedDataPoints: 1, droppedDataPoints: 0 });
      expect(health.stats.export.lastError).toBe(refusal);

      const response = await app.request('/health');
      expect(response.status).toBe(200);
      const body = (await response.json()) as { status: string; reasons: string[]; services: { signoz_export: { status: string } } };
      expect(body.status).toBe('degraded');
      expect(body.reasons).toEqual(['the backend refused data points (1 in total)']);
      expect(body.services.signoz_export.status).toBe('healthy');
      const pipeline = (await (await app.request('/metrics/health')).json()) as { status: string; export: { last_ok: boolean } };
      expect(pipeline).toMatchObject({ status: 'degraded', export: { last_ok: true } });

      // A clean export later: still degraded (the refusal was within the last 5 minutes), never failing.
      receiver.respond = () => ({ status: 200 });
      collector.recordHttp({ method: 'GET', route: '/orders', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      await collector.flush();
      expect(collector.health()).toMatchObject({ status: 'degraded', reasons: ['the backend refused data points (1 in total)'] });
    } finally {
      await collector.shutdown().catch(() => {});
      await receiver.stop();
    }
  });
});
