/**
 * The valid name nearest to a misspelt one: a misspelt option (`serviceNmae`, `otlp.endpointt`) would otherwise be
 * ignored without a word and the default used in its place, found out only when the metrics are missing.
 */

/** The valid name closest to `name` (case ignored), if it is close enough to be what was meant. */
export function nearestName(name: string, valid: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of valid) {
    const lower = candidate.toLowerCase();
    // A name cut short or with a unit left off (`timeout` for `timeoutMillis`) is as good as one typo.
    const truncated = wanted.length >= 4 && (lower.startsWith(wanted) || wanted.startsWith(lower));
    const distance = truncated ? 1 : editDistance(wanted, lower);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A third of the name may be wrong (at least 2 edits): beyond that a suggestion misleads more than it helps.
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const d: number[] = new Array<number>(rows * columns);
  for (let i = 0; i < rows; i++) d[i * columns] = i;
  for (let j = 0; j < columns; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[(i - 1) * columns + j] + 1, d[i * columns + j - 1] + 1, d[(i - 1) * columns + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, d[(i - 2) * columns + j - 2] + 1);
      d[i * columns + j] = value;
    }
  }
  return d[rows * columns - 1];
}
