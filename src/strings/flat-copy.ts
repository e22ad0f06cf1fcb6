/**
 * A copy of `value` that shares no memory with any other string. V8 makes `slice` (and `substring`) of 13 or more
 * characters a view into its parent, which keeps the whole parent alive: the 1,024-character prefix of a 1 MiB SQL
 * text held 1 MiB. A JSON round trip builds a fresh sequential string (one byte per character when it can) and is
 * lossless, lone surrogates included (JSON.stringify escapes them, JSON.parse restores them). It runs on an
 * interner's miss only, at most once per string kept, never on the request path's hit.
 */
export function flatCopy(value: string): string {
  return JSON.parse(JSON.stringify(value)) as string;
}
