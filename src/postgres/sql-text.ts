import { EMPTY_ID } from '../contract/strings-layout.js';
import type { PostgresQuery } from './postgres-js.js';

/**
 * A query's SQL text as a string id. `unsafe()` (Drizzle's path) carries the text itself: one Map lookup in the
 * collector's SQL interner. A tagged template carries its strings array, which the engine creates once per call
 * site and passes again on every call: a WeakMap hit by identity, so its text is joined and interned only the
 * first time. The joined text puts `$1…$n` where the values go, as postgres.js numbers parameters; a value that
 * is a helper (`${sql(name)}`, a fragment) is a placeholder too, so its text is not classified.
 */
export class SqlTextIds {
  private readonly templates = new WeakMap<readonly string[], number>();

  constructor(private readonly intern: (sql: string) => number) {}

  of(query: PostgresQuery): number {
    const strings = query.strings;
    if (!query.tagged) {
      // A file() query that failed before its file was read has no text: counted, not classified.
      const text = strings[0];
      return typeof text === 'string' ? this.intern(text) : EMPTY_ID;
    }
    let id = this.templates.get(strings);
    if (id === undefined) {
      id = this.intern(templateText(strings));
      this.templates.set(strings, id);
    }
    return id;
  }
}

/** `select * from t where a = ${x} and b = ${y}` → `select * from t where a = $1 and b = $2`. */
export function templateText(strings: readonly string[]): string {
  let text = strings[0];
  for (let i = 1; i < strings.length; i++) text += `$${i}${strings[i]}`;
  return text;
}
