import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, startPipeline } from './support/harness.js';
import { OtlpReceiver } from './support/otlp-receiver.js';

const distIndex = fileURLToPath(new URL('../dist/src/index.js', import.meta.url));

/** Runs an ES module script in a child process; resolves with its exit and everything it wrote to stderr. */
function runScript(
  script: string,
  whenReady?: (child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('ready')) whenReady?.(child);
  });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
}

describe('failures said at once, and where (issue #28, item 13)', () => {
  it('with handleSignals and no backend, SIGINT writes why on stderr, naming the URL, before the signal ends the process', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1/metrics`;
    const script = `
      import { createCollector } from ${JSON.stringify(distIndex)};
      const collector = createCollector({
        env: {}, handleSignals: true, shutdownTimeoutMillis: 2000, metrics: { runtime: false }, otlp: { endpoint: ${JSON.stringify(url)} },
      });
      for (let i = 0; i < 5; i++) collector.recordHttp({ method: 'GET', route: '/sig', statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
      setInterval(() => {}, 1000);  // a server would keep running
      // Ready once its worker has drained the five records (polled): a signal before the worker runs would spend
      // the shutdown's 2 s starting it, and a loaded machine takes seconds to start one.
      const starting = setInterval(() => {
        if (collector.stats().ring.used !== 0) return;
        clearInterval(starting);
        console.log('ready');
      }, 5);
    `;
    const exit = await runScript(script, (child) => child.kill('SIGINT'));
    expect(exit.stderr).toBe(
      `ringmeter: shutdown on SIGINT did not export everything: shard 0 stopped, but its last export failed: ${url}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
    // Ended by the re-raised signal: a shell shows exit status 128 + 2.
    expect(exit).toMatchObject({ code: null, signal: 'SIGINT' });
    expect(128 + constants.signals.SIGINT).toBe(130);
  });

  it('a script that records and exits without shutdown() says how many records it never exported, in one line', async () => {
    const port = await freePort();
    const script = (tail: string) => `
      import { createCollector } from ${JSON.stringify(distIndex)};
      const collector = createCollector({ env: {}, metrics: { runtime: false }, otlp: { endpoint: 'http://127.0.0.1:${port}/v1/metrics' } });
      for (let i = 0; i < 1234; i++) collector.recordHttp({ method: 'GET', route: '/x', statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
      ${tail}
    `;
    expect(await runScript(script(''))).toEqual({
      code: 0,
      signal: null,
      stderr:
        'ringmeter: 1234 records were recorded but never exported: the process exited without collector.shutdown() (await it on the way out, or pass handleSignals: true)\n',
    });
    // shutdown() called (and failed: nothing listens): its rejection said so; the exit adds nothing.
    expect(await runScript(script('await collector.shutdown({ timeoutMillis: 500 }).catch(() => {});'))).toEqual({
      code: 0,
      signal: null,
      stderr: '',
    });
  });

  it('a script whose records were all exported, or that recorded none, exits silently', async () => {
    const receiver = await new OtlpReceiver().start();
    try {
      const script = (records: number) => `
        import { createCollector } from ${JSON.stringify(distIndex)};
        const collector = createCollector({ env: {}, metrics: { runtime: false }, otlp: { endpoint: ${JSON.stringify(receiver.url)} } });
        for (let i = 0; i < ${records}; i++) collector.recordHttp({ method: 'GET', route: '/x', statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
        ${records > 0 ? 'await collector.flush();' : ''}
      `;
      expect(await runScript(script(10))).toEqual({ code: 0, signal: null, stderr: '' });
      expect(await runScript(script(0))).toEqual({ code: 0, signal: null, stderr: '' });
    } finally {
      await receiver.stop();
    }
  });

  it('an export refused for good names the URL it was sent to', async () => {
    const { collector, receiver } = await startPipeline();
    receiver.respond = () => ({ status: 404 });
    try {
      collector.recordHttp({ method: 'GET', route: '/x', statusCode: 200, tenantId: 'acme', durationSeconds: 0.001 });
      const error = await collector.flush().then(
        () => undefined,
        (e: Error) => e,
      );
      const dropped = receiver.requests[0].points.length;
      expect(error?.message).toBe(`ringmeter: export failed: ${receiver.url}: HTTP 404 Not Found; ${dropped} data points dropped`);
      expect(collector.stats().export.lastError).toBe(`${receiver.url}: HTTP 404 Not Found; ${dropped} data points dropped`);
    } finally {
      await collector.shutdown().catch(() => {});
      await receiver.stop();
    }
  });
});
