/**
 * The order of every list in the analytics bodies: largest first by one figure, ties by name, so that equal
 * figures always list the same way (a caller polling a list sees entries move only when the figures do).
 */

/** How many entries a top-N list holds (top endpoints, top tenants, top tables). */
export const TOP_N = 10;

/** `entries` (not changed) largest `figure` first; ties in the order of `names`, compared one after the other. */
export function ranked<T>(entries: Iterable<T>, figure: (entry: T) => number, ...names: ((entry: T) => string)[]): T[] {
  return [...entries].sort((a, b) => {
    const byFigure = figure(b) - figure(a);
    if (byFigure !== 0) return byFigure;
    for (const name of names) {
      const byName = name(a).localeCompare(name(b));
      if (byName !== 0) return byName;
    }
    return 0;
  });
}

/** The first TOP_N of `ranked(entries, figure, ...names)`. */
export function topRanked<T>(entries: Iterable<T>, figure: (entry: T) => number, ...names: ((entry: T) => string)[]): T[] {
  return ranked(entries, figure, ...names).slice(0, TOP_N);
}
