import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, METRICS, VERSION } from 'ringmeter';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('docs stay true to the code', () => {
  it('docs/metrics.md lists every metric with its type and unit', () => {
    const doc = read('docs/metrics.md');
    for (const definition of Object.values(METRICS)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${definition.name}\` |`));
      expect(row, `${definition.name} missing from docs/metrics.md`).toBeDefined();
      const cells = row!.split('|').map((cell) => cell.trim());
      expect(cells[2]).toBe(definition.kind);
      expect(cells[3].replaceAll('`', '')).toBe(definition.unit);
      expect(cells[4]).toBe(definition.labels.join(', '));
    }
  });

  it('docs/configuration.md documents every option with its default and every environment variable', () => {
    const doc = read('docs/configuration.md');
    // Nested options (otlp.*, metrics.*) are documented by their path.
    const defaults: Record<string, unknown> = {};
    for (const [option, value] of Object.entries(DEFAULT_OPTIONS)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [key, inner] of Object.entries(value)) defaults[`${option}.${key}`] = inner;
      } else defaults[option] = value;
    }
    for (const [option, value] of Object.entries(defaults)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${option}\` |`));
      expect(row, `${option} missing from docs/configuration.md`).toBeDefined();
      expect(row).toContain(`\`${String(value)}\``);
    }
    const options = read('src/options/table.ts');
    const variables = new Set([...options.matchAll(/'((?:OTEL|METRICS|TENANT|ENABLE|CUSTOM)_[A-Z_]+)'/g)].map((match) => match[1]));
    expect(variables.size).toBeGreaterThanOrEqual(15);
    for (const variable of variables) expect(doc, `${variable} missing from docs/configuration.md`).toContain(variable);
  });

  it('README.md gives the demo and the test commands on its first screen', () => {
    const firstScreen = read('README.md').split('\n').slice(0, 20).join('\n');
    expect(firstScreen).toContain('npm ci && npm start');
    expect(firstScreen).toContain('npm ci && npm test');
  });

  it('VERSION is the package version', () => {
    expect(VERSION).toBe(JSON.parse(read('package.json')).version);
  });

  it('.ci/run runs the README test command', () => {
    expect(read('.ci/run')).toContain('npm ci && npm test');
  });
});
