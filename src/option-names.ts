/**
 * Refuses option names nobody reads. A misspelt option (`serviceNmae`, `otlp.endpointt`) would otherwise be
 * ignored without a word and the default used in its place, which is found out only when the metrics are missing.
 */

/** Every name an options object may carry, as a record so that the compiler checks it against the options type. */
export type OptionNames<T> = Readonly<Record<keyof T, true>>;

/**
 * Throws a TypeError naming the first property of `options` that is not in `names`, with the nearest valid name
 * when one is close: `options.otlp.endpointt is not an option (did you mean endpoint?)`.
 */
export function refuseUnknownOptions<T>(path: string, options: object, names: OptionNames<T>): void {
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(names, name)) continue;
    const valid = Object.keys(names);
    const nearest = nearestName(name, valid);
    const hint = nearest === undefined ? `valid options: ${valid.join(', ')}` : `did you mean ${nearest}?`;
    throw new TypeError(`${path}${member(name)} is not an option (${hint})`);
  }
}

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

/** `.name`, or `["odd name"]` for a name that is no identifier (quoted, so control characters show escaped). */
function member(name: string): string {
  const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
  return /^[A-Za-z_$][\w$]*$/.test(shown) ? `.${shown}` : `[${JSON.stringify(shown)}]`;
}
