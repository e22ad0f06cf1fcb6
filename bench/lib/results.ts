import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';

/** Where every benchmark writes its section of the run's results: bench/results, or BENCH_RESULTS_DIR. */
export const RESULTS_DIR = process.env.BENCH_RESULTS_DIR
  ? pathToFileURL(`${process.env.BENCH_RESULTS_DIR.replace(/\/+$/, '')}/`)
  : new URL('../../../bench/results/', import.meta.url);

export interface RunInfo {
  date: string;
  node: string;
  cores: number;
  cpu: string;
  memoryGiB: number;
}

export function runInfo(): RunInfo {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** Stores one benchmark's results as bench/results/<name>.json. */
export function saveSection(name: string, data: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(new URL(`${name}.json`, RESULTS_DIR), `${JSON.stringify({ run: runInfo(), data }, null, 2)}\n`);
}

export function loadSection<T>(name: string): { run: RunInfo; data: T } | undefined {
  try {
    return JSON.parse(readFileSync(new URL(`${name}.json`, RESULTS_DIR), 'utf8')) as { run: RunInfo; data: T };
  } catch {
    return undefined;
  }
}
