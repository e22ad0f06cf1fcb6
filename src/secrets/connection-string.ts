/**
 * Why a value given as a database *name* (the `database` option of the database hooks, a label on every pool gauge
 * and in OTLP) looks like a connection string instead, or undefined if it does not. Such a value would put a host,
 * a user and often a password on /metrics and into the backend, so the hooks refuse it, saying why and never
 * showing it.
 */
export function connectionStringProblem(value: string): string | undefined {
  if (/[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) return 'it looks like a URL (scheme://)';
  if (/[^\s:@/]+:[^\s@/]*@/.test(value)) return 'it holds credentials (user:password@)';
  if (/\b(?:password|passwd|pwd)\s*=/i.test(value)) return 'it holds credentials (password=)';
  return undefined;
}
