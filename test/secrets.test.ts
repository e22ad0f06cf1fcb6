import { describe, expect, it } from 'vitest';
import { createCollector } from 'ringmeter';
import { OtlpReceiver } from './support/otlp-receiver.js';

describe('no secrets in stats, health, errors or exported data', () => {
  it('keeps endpoint credentials and header values out of errors, stats and health', async () => {
    const receiver = await new OtlpReceiver().start();
    const port = Number(new URL(receiver.url).port);
    await receiver.stop();
    const collector = createCollector({
      env: {},
      metrics: { runtime: false },
      otlp: {
        endpoint: `http://admin:hunter2-password@127.0.0.1:${port}/v1/metrics`,
        headers: { 'signoz-ingestion-key': 'sk-live-0123456789' },
        timeoutMillis: 300,
      },
    });
    try {
      collector.recordHttp({ method: 'GET', route: '/x', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      const error = await collector.flush().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(Error);
      const visible = [error?.message, error?.stack, JSON.stringify(collector.stats()), JSON.stringify(collector.health())].join('\n');
      expect(visible).toMatch(/ECONNREFUSED/);
      expect(visible).not.toContain('hunter2');
      expect(visible).not.toContain('sk-live');
    } finally {
      await collector.shutdown().catch(() => {});
    }
  });

  it('a backend error that echoes the request headers is redacted', async () => {
    const receiver = await new OtlpReceiver().start();
    receiver.respond = (request) => ({
      status: 401,
      body: `unauthorized: authorization=${String(request.headers.authorization)} token=${String(request.headers['x-api-key'])}`,
    });
    const collector = createCollector({
      env: {},
      metrics: { runtime: false },
      otlp: { endpoint: receiver.url, headers: { authorization: 'Bearer abc.def.ghi', 'x-api-key': 'key-42-secret' } },
    });
    try {
      collector.recordHttp({ method: 'GET', route: '/x', statusCode: 200, tenantId: 'acme', durationSeconds: 0.01 });
      const error = await collector.flush().then(
        () => undefined,
        (e: Error) => e,
      );
      const visible = [error?.message, JSON.stringify(collector.stats()), JSON.stringify(collector.health())].join('\n');
      expect(visible).toContain('HTTP 401');
      expect(visible).not.toContain('abc.def.ghi');
      expect(visible).not.toContain('key-42-secret');
    } finally {
      await collector.shutdown().catch(() => {});
      await receiver.stop();
    }
  });
});
