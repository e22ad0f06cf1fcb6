import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { startPipeline, total } from './support/harness.js';

const distIndex = fileURLToPath(new URL('../dist/src/index.js', import.meta.url));

describe('shutdown', () => {
  it('drains the ring and exports before resolving; a second call returns the same promise', async () => {
    const { collector, receiver } = await startPipeline();
    for (let i = 0; i < 1_000; i++)
      collector.recordHttp({ method: 'GET', route: '/s', statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
    const first = collector.shutdown({ timeoutMillis: 5_000 });
    expect(collector.shutdown()).toBe(first);
    await first;
    expect(total(receiver.points, 'http_requests_total')).toBe(1_000);
    expect(collector.stats().workers.running).toBe(0);
    expect(collector.health().status).toBe('failing');
    await receiver.stop();
  });

  it('rejects at its deadline when the backend hangs, saying what was left behind', async () => {
    const { collector, receiver } = await startPipeline({ otlp: { timeoutMillis: 30_000 } });
    // The worker running first (on a loaded machine it may take longer than the deadline to start).
    await collector.flush();
    receiver.respond = () => ({ status: 200, delayMillis: 20_000 });
    for (let i = 0; i < 100; i++)
      collector.recordHttp({ method: 'GET', route: '/s', statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
    const started = Date.now();
    // The export's request is cut at the same deadline: whether its timeout is reported before the main thread's
    // own deadline fires is a race, so the message may or may not end with it.
    const url = receiver.url.replaceAll('.', '\\.');
    await expect(collector.shutdown({ timeoutMillis: 600 })).rejects.toThrow(
      new RegExp(
        `^ringmeter: shutdown did not finish within 600 ms \\(exporting to ${url}\\); left behind: 0 records in the rings and their overflow, 100 aggregated records not exported(; the last export error: ${url}: Request timed out)?$`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    await receiver.stop();
  });

  it('with handleSignals, SIGTERM exports what is pending and the process then ends by the signal', async () => {
    const receiver = await new OtlpReceiver().start();
    const script = `
      import { createCollector } from ${JSON.stringify(distIndex)};
      const collector = createCollector({ env: {}, handleSignals: true, metrics: { runtime: false }, otlp: { endpoint: ${JSON.stringify(receiver.url)} } });
      for (let i = 0; i < 42; i++) collector.recordHttp({ method: 'GET', route: '/sig', statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
      await collector.flush();
      for (let i = 0; i < 8; i++) collector.recordHttp({ method: 'GET', route: '/sig', statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
      setInterval(() => {}, 1000);  // a server would keep running
      console.log('ready');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (data: Buffer) => data.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      child.kill('SIGTERM');
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
      expect(signal).toBe('SIGTERM');
      expect(code).toBeNull();
      expect(total(receiver.points, 'http_requests_total')).toBe(50);
    } finally {
      child.kill('SIGKILL');
      await receiver.stop();
    }
  });
});
