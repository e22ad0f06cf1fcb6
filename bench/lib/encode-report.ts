import type { EncodeCase } from '../encode.js';
import { round } from './rounds.js';

/** The markdown table of bench/encode: CPU per data point of encoding and gzip, per series count, shape and encoder. */
export function encodeSection(result: { rounds: number; cases: EncodeCase[] }): string[] {
  const micros = (nanos: number) => round(nanos / 1_000);
  return [
    '## OTLP encoding (CPU of the encoding thread per data point)',
    '',
    `Median of ${result.rounds} rounds; gzip at zlib's default level (as sent today), gzip -1 for comparison; batches of 512 points.`,
    '',
    '| series | shape | encoder | encode µs | gzip µs | encode + gzip µs (min–max) | gzip -1 µs | bytes | gzip bytes | gzip -1 bytes |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...result.cases.map(
      (c) =>
        `| ${c.series.toLocaleString('en')} | ${c.shape} | ${c.variant} | ${micros(c.encodeNanosPerPoint)} | ${micros(c.gzipNanosPerPoint)} | ` +
        `${micros(c.totalNanosPerPoint)} (${micros(c.totalRangeNanos[0])}–${micros(c.totalRangeNanos[1])}) | ${micros(c.gzipFastNanosPerPoint)} | ` +
        `${Math.round(c.bodyBytesPerPoint)} | ${round(c.gzipBytesPerPoint)} | ${round(c.gzipFastBytesPerPoint)} |`,
    ),
  ];
}
