/**
 * Handlers whose requests the HTTP middlewares do not record: the operations routes answer probes and scrapes,
 * which are not the service's traffic (a scrape every second would be most of a quiet service's requests). The
 * mark is on the handler function: each framework's middleware looks up the handler that answered.
 */
const UNTRACKED = new WeakSet<object>();

/** Marks `handler` as not traffic, and returns it. */
export function markUntracked<H extends object>(handler: H): H {
  UNTRACKED.add(handler);
  return handler;
}

/** Whether `handler` was marked with untracked(). */
export function isUntrackedHandler(handler: unknown): boolean {
  return typeof handler === 'function' && UNTRACKED.has(handler);
}
