/**
 * The Prometheus text exposition of `GET /metrics`, as it crosses threads. Each shard worker renders its own series
 * (workers/export/cumulative-totals.ts) into one `MetricFamilyText` per metric, its samples already encoded as
 * UTF-8 chunks that the worker transfers (never copies); the main thread only writes each family's HELP and TYPE
 * once and joins the shards' chunks into one buffer, so no series is ever touched on the main thread.
 */

import type { MetricFamilyText } from '../contract/protocol.js';

export type { MetricFamilyText };

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** OpenMetrics when the scraper lists it in Accept (Prometheus does, first, when it may), else format 0.0.4. */
export function negotiateFormat(accept: string | undefined | null): ExpositionFormat {
  return accept?.includes('application/openmetrics-text') ? 'openmetrics' : 'prometheus';
}

/**
 * Joins the shards' families into one buffer: HELP and TYPE once per metric, then every shard's samples (with
 * several shards, each series carries `ringmeter_shard`, so two shards never write the same series). Families come
 * in the order of METRICS, as each shard sends them.
 */
export function mergeFamilies(shards: readonly (readonly MetricFamilyText[])[], format: ExpositionFormat): Buffer<ArrayBuffer> {
  const merged = new Map<string, { family: MetricFamilyText; samples: Uint8Array[] }>();
  for (const families of shards) {
    for (const family of families) {
      const entry = merged.get(family.name);
      if (entry === undefined) merged.set(family.name, { family, samples: [...family.samples] });
      else entry.samples.push(...family.samples);
    }
  }
  const parts: Uint8Array[] = [];
  for (const { family, samples } of merged.values()) {
    // OpenMetrics names a counter's family without the `_total` its samples carry.
    const name = format === 'openmetrics' && family.type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
    parts.push(Buffer.from(`# HELP ${name} ${escapeHelp(family.help, format)}\n# TYPE ${name} ${family.type}\n`), ...samples);
  }
  if (format === 'openmetrics') parts.push(Buffer.from('# EOF\n'));
  return Buffer.concat(parts);
}

/**
 * One scrape: every shard's families, shared by the callers of one coalesced read (Reads.scrape, reads.ts). Each format's
 * bytes are joined once, on first use: a wave of scrapes answers from one buffer, written to every socket without a
 * copy per caller.
 */
export class Exposition {
  private readonly encoded = new Map<ExpositionFormat, Buffer<ArrayBuffer>>();

  constructor(
    private readonly shards: readonly (readonly MetricFamilyText[])[],
    /** Per shard, how far its render had drained the ring and the overflow (contract/protocol.ts, ShardRender). */
    readonly drained: readonly { readIndex: number; spillRecordsRead: number }[] = [],
  ) {}

  bytes(format: ExpositionFormat): Buffer<ArrayBuffer> {
    let bytes = this.encoded.get(format);
    if (bytes === undefined) {
      bytes = mergeFamilies(this.shards, format);
      this.encoded.set(format, bytes);
    }
    return bytes;
  }

  text(format: ExpositionFormat): string {
    return this.bytes(format).toString('utf8');
  }
}

/** Format 0.0.4 escapes backslash and newline in HELP; OpenMetrics the double quote too. */
function escapeHelp(help: string, format: ExpositionFormat): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? escaped.replace(/"/g, '\\"') : escaped;
}
