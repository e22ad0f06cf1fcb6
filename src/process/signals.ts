import { writeStderrLine } from './stderr-line.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * The opt-in `handleSignals`: on SIGTERM or SIGINT, run `shutdown` (which exports what is pending within its
 * deadline), then, if nothing else in the process listens for that signal, raise it again so that it ends the
 * process as it would have without us (exit status 128 + signal number). An application with its own handler
 * keeps control of when to exit. A shutdown that did not export everything says why on stderr first, synchronously:
 * a warning printed on a later tick would never show, the re-raised signal ending the process before it.
 */
export function handleSignals(shutdown: () => Promise<void>): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    detach();
    shutdown()
      .catch((error: Error) =>
        writeStderrLine(`ringmeter: shutdown on ${signal} did not export everything: ${error.message.replace(/^ringmeter: /, '')}`),
      )
      .finally(() => {
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
  };
  const detach = () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return detach;
}
