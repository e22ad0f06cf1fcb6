import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort, total } from './support/harness.js';
import { OtlpReceiver } from './support/otlp-receiver.js';

// Every ```ts sample of README.md and docs/*.md compiles against the built package's types (dist/, as
// test/tsconfig.json maps them), and the README's first sample runs. A sample is a whole module unless the line
// above it says `<!-- sample: fragment -->`: then its body is wrapped in a function, with `collector`, `app` and
// `url` declared, as the prose around it presumes. `<!-- sample: run -->` marks a whole module that is also run.

const root = fileURLToPath(new URL('..', import.meta.url));
/** Under dist/, inside the package: the compiled samples import 'ringmeter' by name, as an application would. */
const samplesDir = `${root}dist/doc-samples/`;
const MARKER = /^<!-- sample: (fragment|run) -->$/;
const FRAGMENT_CONTEXT = [
  "declare const collector: import('ringmeter').Collector;",
  "declare const app: import('hono').Hono;",
  'declare const url: string;',
].join('\n');

interface Sample {
  file: string;
  line: number;
  kind: 'module' | 'fragment' | 'run';
  code: string;
}

function samplesOf(file: string): Sample[] {
  const lines = readFileSync(`${root}${file}`, 'utf8').split('\n');
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
    const above = i > 0 ? lines[i - 1] : '';
    if (above.startsWith('<!-- sample') && !MARKER.test(above)) throw new Error(`${file}:${i}: unknown marker ${above}`);
    const kind = (MARKER.exec(above)?.[1] ?? 'module') as Sample['kind'];
    samples.push({ file, line: i + 1, kind, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return samples;
}

/** A fragment as a module: its imports first, the rest inside an async function (its own scope). */
function asModule(sample: Sample): string {
  if (sample.kind !== 'fragment') return `${sample.code}\n`;
  const lines = sample.code.split('\n');
  const imports = lines.filter((line) => line.startsWith('import '));
  const body = lines.filter((line) => !line.startsWith('import '));
  return `${imports.join('\n')}\n${FRAGMENT_CONTEXT}\n\nexport async function sample(): Promise<void> {\n${body.join('\n')}\n}\n`;
}

const documents = [
  'README.md',
  ...readdirSync(`${root}docs`)
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const samples = documents.flatMap(samplesOf);
const nameOf = (sample: Sample) => `${sample.file.replace(/[^A-Za-z0-9]+/g, '-')}-${sample.line}`;

describe('code samples in README.md and docs/', () => {
  it('finds the samples, each a whole module or marked', () => {
    const counts = Object.fromEntries(documents.map((file) => [file, samples.filter((sample) => sample.file === file).map((s) => s.kind)]));
    expect(counts).toMatchObject({
      'README.md': ['run', 'module', 'fragment', 'fragment'],
      'docs/database.md': ['fragment', 'module'],
      'docs/getting-started.md': ['module', 'module'],
      'docs/hono.md': ['fragment'],
      'docs/signoz.md': ['module'],
    });
    expect(samples.filter((sample) => sample.kind === 'run')).toHaveLength(1);
  });

  it('compiles every sample against the built package types, and runs the README example', async () => {
    rmSync(samplesDir, { recursive: true, force: true });
    mkdirSync(samplesDir, { recursive: true });
    for (const sample of samples) writeFileSync(`${samplesDir}${nameOf(sample)}.ts`, asModule(sample));
    writeFileSync(
      `${samplesDir}tsconfig.json`,
      JSON.stringify({
        extends: '../../test/tsconfig.json',
        // Samples show a variable they do not use further (`const db = drizzle(…)`): that is the point of them.
        compilerOptions: {
          noEmit: false,
          outDir: './out',
          rootDir: '.',
          noUnusedLocals: false,
          declaration: false,
          sourceMap: false,
          inlineSources: false,
        },
        include: ['./*.ts'],
      }),
    );
    const tsc = `${root}node_modules/typescript/bin/tsc`;
    const compiled = await promisify(execFile)(process.execPath, [tsc, '-p', `${samplesDir}tsconfig.json`], { cwd: root }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(compiled).toBe('');

    const [readme] = samples.filter((sample) => sample.kind === 'run');
    const receiver = await new OtlpReceiver().start();
    const port = await freePort();
    const child = spawn(process.execPath, [`${samplesDir}out/${nameOf(readme)}.js`], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: receiver.url },
      stdio: 'inherit',
    });
    const exit = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    try {
      let body = '';
      // Until the example listens (it builds its collector first): 20 s at most.
      for (let attempt = 0; body === '' && attempt < 200; attempt++) {
        body = await fetch(`http://127.0.0.1:${port}/orders/42`, { headers: { 'x-tenant-id': 'acme' } }).then(
          (r) => r.text(),
          () => '',
        );
        if (body === '') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(JSON.parse(body)).toEqual({ id: '42' });
      // handleSignals: SIGTERM exports what is pending, then lets the signal end the process.
      child.kill('SIGTERM');
      expect(await exit).toBe('SIGTERM');
      expect(total(receiver.points, 'http_requests_total', { route: '/orders/:id', tenant_id: 'acme', status_code: 200 })).toBe(1);
      expect(receiver.accepted[0].resource['service.name']).toBe('orders-api');
    } finally {
      child.kill('SIGKILL');
      await receiver.stop();
    }
  }, 120_000);

  it('runs the README example with no backend: Ctrl+C ends it, saying why on stderr, with no unhandled rejection', async () => {
    const [readme] = samples.filter((sample) => sample.kind === 'run');
    const port = await freePort();
    // Nothing listens there (issue #28, item 13): every export and the shutdown's last one fail.
    const nowhere = `http://127.0.0.1:${await freePort()}/v1/metrics`;
    const child = spawn(process.execPath, [`${samplesDir}out/${nameOf(readme)}.js`], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: nowhere },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exit = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    try {
      let status = 0;
      for (let attempt = 0; status === 0 && attempt < 200; attempt++) {
        status = await fetch(`http://127.0.0.1:${port}/orders/42`, { headers: { 'x-tenant-id': 'acme' } }).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
      child.kill('SIGINT');
      expect(await exit).toBe('SIGINT');
      // One line, written before the re-raised signal ended the process; never an unhandled rejection.
      expect(stderr).toMatch(
        new RegExp(`^ringmeter: shutdown on SIGINT did not export everything: [^\\n]*${nowhere.replace(/[.:/]/g, '\\$&')}[^\\n]*\\n$`),
      );
      expect(stderr).not.toMatch(/unhandled/i);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});
