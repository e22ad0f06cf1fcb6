import type { MemoryLoad } from './memory-connections.js';
import { threadCpuNanos } from './thread-cpu.js';

/**
 * The child side of a per-request CPU benchmark (node-server-overhead-child.ts, framework-overhead-child.ts): answers
 * { type: 'measure', requests, windows } with { type: 'measured', nanosPerRequest } (see `measure`), and
 * { type: 'stop' } by closing everything (`stop`) and exiting. `served()` counts the requests the app answered.
 */
export function serveCpuMeasurements(variant: string, load: MemoryLoad, served: () => number, stop: () => Promise<void>): void {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

  /**
   * The least main-thread CPU per request over `windows` windows of `count` requests, after a warm-up window and a
   * full GC. The least, because what disturbs a window on a shared machine (another process on the core's sibling
   * thread, cache pollution) only ever adds time.
   */
  async function measure(count: number, windows: number): Promise<number> {
    await load.run(count);
    gc();
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < windows; i++) {
      const before = threadCpuNanos();
      const servedBefore = served();
      await load.run(count);
      const after = threadCpuNanos();
      if (before === undefined || after === undefined) throw new Error('thread CPU time is not readable here (Linux only)');
      if (served() - servedBefore !== count) throw new Error(`${variant}: ${served() - servedBefore} requests served of ${count}`);
      least = Math.min(least, (after - before) / count);
    }
    return least;
  }

  process.on('message', (message: { type: string; requests?: number; windows?: number }) => {
    if (message.type === 'measure') {
      measure(message.requests ?? 10_000, message.windows ?? 5).then(
        (nanosPerRequest) => process.send!({ type: 'measured', nanosPerRequest }),
        (error: unknown) => process.send!({ type: 'failed', error: String(error) }),
      );
    } else if (message.type === 'stop') {
      void (async () => {
        load.close();
        await stop();
        process.send!({ type: 'stopped' }, () => process.exit(0));
      })();
    }
  });
  process.send!({ type: 'ready' });
}
