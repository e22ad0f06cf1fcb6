import { writeSync } from 'node:fs';

/**
 * Writes one line to stderr now, synchronously: for what must be said before the process ends (a re-raised signal,
 * an `exit` listener), when `process.emitWarning` would print on a later tick that never comes. Never throws: a
 * closed or full stderr loses the line, never the caller.
 */
export function writeStderrLine(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // Nothing to report it to.
  }
}
