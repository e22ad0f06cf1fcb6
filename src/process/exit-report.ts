import { writeStderrLine } from './stderr-line.js';

/**
 * What a process that exits without `collector.shutdown()` left unexported, said on stderr in one line per
 * collector, from the `exit` event (synchronous: nothing after it runs). The checks of every live collector share
 * one listener, added with the first and removed with the last: a listener per collector would trip Node's
 * MaxListenersExceededWarning in a process that makes many, and this is process-wide by nature.
 */
const checks = new Set<() => string | undefined>();

function onExit(): void {
  for (const check of checks) {
    const line = check();
    if (line !== undefined) writeStderrLine(line);
  }
}

/** Runs `check` when the process exits, until the returned detach is called (shutdown()). */
export function reportAtExit(check: () => string | undefined): () => void {
  if (checks.size === 0) process.on('exit', onExit);
  checks.add(check);
  return () => {
    if (!checks.delete(check) || checks.size > 0) return;
    process.off('exit', onExit);
  };
}
