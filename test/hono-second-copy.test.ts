import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { honoMetrics } from 'ringmeter/hono';
import { startPipeline, valuesByLabels } from './support/harness.js';

/**
 * An app built with another copy of hono than the one ringmeter resolves (npm link, a monorepo, two versions):
 * the copy is a real hono package in a folder of its own, so it is a distinct module instance with its own symbols.
 */
describe('honoMetrics in an app whose Hono is a second copy', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ringmeter-second-hono-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('records the matched route patterns, 404s as unmatched', async () => {
    const source = fileURLToPath(new URL('../node_modules/hono', import.meta.url));
    cpSync(source, join(folder, 'node_modules', 'hono'), { recursive: true });
    const copy = (await import(pathToFileURL(join(folder, 'node_modules', 'hono', 'dist', 'index.js')).href)) as typeof import('hono');
    const ours = await import('hono');
    expect(copy.Hono).not.toBe(ours.Hono);

    const { collector, receiver } = await startPipeline();
    try {
      const app = new copy.Hono();
      app.use(honoMetrics(collector) as never);
      app.get('/orders/:id', (c) => c.text('order'));
      for (const path of ['/orders/1', '/orders/2', '/missing']) {
        await app.request(`http://localhost${path}`, { headers: { 'x-tenant-id': 'acme' } });
      }
      await collector.flush();
      expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual({
        'method=GET,route=/orders/:id,status_code=200,tenant_id=acme': 2,
        'method=GET,route=unmatched,status_code=404,tenant_id=acme': 1,
      });
    } finally {
      await collector.shutdown();
      await receiver.stop();
    }
  });
});
