/**
 * Test support: reads samples back from the Prometheus text format 0.0.4 that the workers render for GET /metrics,
 * so that a test can check a scrape's values. Only what that renderer writes is understood: `name{labels} value`.
 * (The library itself parses no Prometheus text: the dashboard reads the workers' structured analytics.)
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/y;

/** The samples of the families whose name is in `names` (a histogram's `_bucket`, `_sum` and `_count` included). */
export function readSamples(text: string, names: ReadonlySet<string>): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null || !names.has(match[1])) continue;
    const labels = parseLabels(match[2] ?? '');
    if (labels !== undefined) samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** Label pairs, values unescaped (`\\`, `\"`, `\n`); undefined when the text is not a label list. */
function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (match === null) return undefined;
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
  }
  return labels;
}
