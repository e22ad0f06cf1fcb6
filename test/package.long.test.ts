import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver.js';
import { total } from './support/harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the published package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringmeter-consumer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs from `npm pack` and runs in a plain Node app, workers included, with no TypeScript loader', async () => {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0].files.map((file) => file.path);
    expect(files).toContain('dist/workers/shard-worker.js');
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/hono/index.d.ts');
    // The dashboard's browser script, compiled from src/hono/dashboard/dashboard.ts and served by the operations routes.
    expect(files).toContain('dist/src/hono/dashboard/dashboard.js');
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.some((file) => file.startsWith('dist/bench') || file.startsWith('test/'))).toBe(false);

    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const hono = JSON.parse(
      execFileSync('npm', ['pkg', 'get', 'devDependencies.hono', 'devDependencies.@hono/node-server', '--json'], {
        cwd: root,
        encoding: 'utf8',
      }),
    ) as Record<string, string>;
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        join(dir, packed[0].filename),
        `hono@${hono['devDependencies.hono']}`,
        `@hono/node-server@${hono['devDependencies.@hono/node-server']}`,
      ],
      { cwd: dir, stdio: 'pipe' },
    );

    const receiver = await new OtlpReceiver().start();
    try {
      writeFileSync(
        join(dir, 'app.js'),
        `
        import { createCollector } from 'ringmeter';
        import { honoMetrics } from 'ringmeter/hono';
        import { Hono } from 'hono';
        const collector = createCollector({ serviceName: 'consumer', env: {}, metrics: { runtime: false }, otlp: { endpoint: ${JSON.stringify(receiver.url)} } });
        const app = new Hono();
        app.use(honoMetrics(collector));
        app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
        for (let i = 0; i < 25; i++) await app.request('/items/' + i, { headers: { 'x-tenant-id': 'acme' } });
        collector.recordQuery({ sql: 'select * from items', durationSeconds: 0.002, tenantId: 'acme' });
        await collector.flush();
        await collector.shutdown();
        console.log(JSON.stringify(collector.stats().ring));
      `,
      );
      // Asynchronously: the receiver answers from this process's event loop.
      const { stdout: output } = await promisify(execFile)(process.execPath, ['app.js'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(JSON.parse(output.trim())).toEqual({
        capacity: 16384,
        used: 0,
        written: 26,
        spilled: 0,
        folded: 0,
        foldedToOverflow: 0,
        foldEntries: 0,
        foldSeriesBound: 0,
        foldCapacity: 0,
        overflowRecords: 0,
        overflowBytes: 0,
        dropped: 0,
      });
      expect(total(receiver.points, 'http_requests_total', { route: '/items/:id', tenant_id: 'acme', status_code: 200 })).toBe(25);
      expect(total(receiver.points, 'db_queries_total', { query_type: 'SELECT', tenant_id: 'acme' })).toBe(1);
      expect(receiver.accepted[0].resource['service.name']).toBe('consumer');
      expect(readdirSync(join(dir, 'node_modules', 'ringmeter', 'dist', 'workers'))).toContain('shard-worker.js');

      // A CommonJS app (what `npm init -y` makes): require(esm), on by default from Node 20.19, and import().
      writeFileSync(
        join(dir, 'app.cjs'),
        `
        const { createCollector } = require('ringmeter');
        const { honoMetrics } = require('ringmeter/hono');
        import('ringmeter').then((imported) => console.log(JSON.stringify({
          required: typeof createCollector, hono: typeof honoMetrics, same: imported.createCollector === createCollector,
        })));
      `,
      );
      const cjs = await promisify(execFile)(process.execPath, ['app.cjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(JSON.parse(cjs.stdout.trim())).toEqual({ required: 'function', hono: 'function', same: true });
      // No ExperimentalWarning on the Node versions that enable it by default.
      expect(cjs.stderr).toBe('');
    } finally {
      await receiver.stop();
    }
  }, 240_000);
});
