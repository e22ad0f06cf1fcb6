import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { honoMetrics } from 'ringmeter/hono';
import { startPipeline, total } from './support/harness.js';

describe('a failure inside the Hono middleware’s own recording', () => {
  it('leaves the response alone, is counted in stats().hookFailures and named in health(), never thrown', async () => {
    const { collector, receiver } = await startPipeline();
    try {
      const app = new Hono();
      app.use(honoMetrics(collector));
      app.get('/ok', (c) => c.text('ok'));
      // The request object changed under the middleware (as a breaking change in another copy of hono would):
      // reading which route matched throws, after the handler has answered.
      app.get('/broken', (c) => {
        Object.defineProperty(c.req, 'routeIndex', {
          get: () => {
            throw new Error('route unreadable');
          },
          set: () => {},
        });
        return c.text('body');
      });
      const broken = await app.request('/broken');
      expect(await broken.text()).toBe('body');
      expect(await (await app.request('/ok')).text()).toBe('ok');

      expect(collector.stats().hookFailures).toEqual({ honoMetrics: 1 });
      const health = collector.health();
      expect(health.status).toBe('degraded');
      expect(health.reasons).toEqual(["ringmeter's own hooks failed to record (1 in total; last: honoMetrics: route unreadable)"]);
      await collector.flush();
      expect(total(receiver.points, 'http_requests_total')).toBe(1);
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });
});
