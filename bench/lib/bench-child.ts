import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A benchmark script running in a child process (a server under load, one variant's app), driven over IPC: every
 * request is a message `{ type }`, answered by a message of an agreed type. A `{ type: 'failed', error }` message
 * or the child's exit rejects the pending answer, so a broken child fails the benchmark instead of hanging it.
 */
export interface BenchChild {
  child: ChildProcess;
  /** Sends `message` and resolves with the child's first message of type `reply`. */
  ask<T>(message: { type: string } & Record<string, unknown>, reply: string): Promise<T>;
}

/** Forks `script` (with --expose-gc) and resolves once it has sent its first message of type `ready`. */
export async function forkBenchChild<Ready>(script: URL, args: string[], ready: string): Promise<{ process: BenchChild; ready: Ready }> {
  const name = `${fileURLToPath(script).split('/').pop()} ${args[0] ?? ''}`.trim();
  const child = fork(fileURLToPath(script), args, { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>(reply: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: { type: string; error?: string }) => {
        if (message.type !== reply && message.type !== 'failed') return;
        child.off('message', onMessage).off('exit', onExit);
        if (message.type === 'failed') reject(new Error(`${name}: ${message.error}`));
        else resolve(message as T);
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`${name} exited (${code}) before answering '${reply}'`));
      };
      child.on('message', onMessage).once('exit', onExit);
    });
  const readyMessage = await next<Ready>(ready);
  return {
    process: {
      child,
      ask: <T>(message: { type: string } & Record<string, unknown>, reply: string) => {
        const answer = next<T>(reply);
        child.send(message);
        return answer;
      },
    },
    ready: readyMessage,
  };
}
