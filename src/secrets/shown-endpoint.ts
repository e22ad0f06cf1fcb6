/**
 * The export endpoint as the operations endpoints show it: scheme, host and path only. User info and the query
 * string are dropped (either may carry a key), and headers are never shown at all.
 */
export function shownEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return 'invalid URL';
  }
}
