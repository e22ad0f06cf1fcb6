import { describe, expect, it } from 'vitest';
import { ReadCoalescer } from '../dist/src/reads/read-coalescer.js';

/** A read the test finishes by hand: every start is kept with its signal. */
function manualReads<T>() {
  const started: { signal: AbortSignal; resolve(value: T): void; reject(error: Error): void }[] = [];
  const start = (signal: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      started.push({ signal, resolve, reject });
      signal.addEventListener('abort', () => reject(new Error('aborted')));
    });
  return { started, start };
}

const timedOut = () => new Error('timed out');
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ReadCoalescer: concurrent reads share one, a read nobody waits for is cancelled', () => {
  it('a caller arriving while one runs gets the next read, which starts once and serves every caller that waited', async () => {
    const { started, start } = manualReads<string>();
    const reads = new ReadCoalescer(start);
    const early = reads.read(5_000, undefined, timedOut);
    const late = [reads.read(5_000, undefined, timedOut), reads.read(5_000, undefined, timedOut), reads.read(5_000, undefined, timedOut)];
    // Started before the late callers asked: it may miss what they recorded, so they wait for the next.
    expect(started).toHaveLength(1);
    started[0].resolve('first');
    expect(await early).toBe('first');
    await settle();
    expect(started).toHaveLength(2);
    started[1].resolve('second');
    expect(await Promise.all(late)).toEqual(['second', 'second', 'second']);
  });

  it('a finished read serves a waiting caller it covers, and the next read never starts if none is left', async () => {
    const { started, start } = manualReads<{ drainedTo: number }>();
    const position = { writtenTo: 10 };
    const reads = new ReadCoalescer(start, { mark: () => position.writtenTo, covers: (result, mark) => result.drainedTo >= mark });
    const early = reads.read(5_000, undefined, timedOut);
    const covered = reads.read(5_000, undefined, timedOut);
    position.writtenTo = 12;
    const notCovered = reads.read(5_000, undefined, timedOut);
    started[0].resolve({ drainedTo: 10 });
    expect(await early).toEqual({ drainedTo: 10 });
    expect(await covered).toEqual({ drainedTo: 10 });
    await settle();
    // The caller whose records came after the first read's snapshot waits for a second read.
    expect(started).toHaveLength(2);
    started[1].resolve({ drainedTo: 12 });
    expect(await notCovered).toEqual({ drainedTo: 12 });

    // Every waiting caller covered: no further read.
    const again = reads.read(5_000, undefined, timedOut);
    const waiting = reads.read(5_000, undefined, timedOut);
    started[2].resolve({ drainedTo: 12 });
    expect(await Promise.all([again, waiting])).toEqual([{ drainedTo: 12 }, { drainedTo: 12 }]);
    await settle();
    expect(started).toHaveLength(3);
  });

  it('a caller that gives up (signal or deadline) leaves alone; a read nobody waits for is cancelled', async () => {
    const { started, start } = manualReads<string>();
    let idle = 0;
    const reads = new ReadCoalescer(start, { onIdle: () => idle++ });
    const starter = new AbortController();
    const waiter = new AbortController();
    const a = reads.read(5_000, starter.signal, timedOut);
    const b = reads.read(5_000, waiter.signal, timedOut);
    const c = reads.read(30, undefined, timedOut);
    await expect(c).rejects.toThrow('timed out');
    // Without `covers` the running read serves nobody else: its only caller leaving cancels it, and the next starts.
    starter.abort();
    await expect(a).rejects.toThrow('ringmeter: the caller gave up (its request was aborted)');
    expect(started[0].signal.aborted).toBe(true);
    await settle();
    expect(started).toHaveLength(2);
    waiter.abort();
    await expect(b).rejects.toThrow('the caller gave up');
    expect(started[1].signal.aborted).toBe(true);
    await settle();
    expect(idle).toBe(1);
  });

  it('with `covers`, a running read is kept while callers wait that it may serve, and cancelled when they leave too', async () => {
    const { started, start } = manualReads<string>();
    const reads = new ReadCoalescer(start, { mark: () => 0, covers: () => true });
    const starter = new AbortController();
    const a = reads.read(5_000, starter.signal, timedOut);
    const b = reads.read(5_000, undefined, timedOut);
    starter.abort();
    await expect(a).rejects.toThrow('the caller gave up');
    expect(started[0].signal.aborted).toBe(false);
    started[0].resolve('kept');
    expect(await b).toBe('kept');
    await settle();
    expect(started).toHaveLength(1);

    const again = new AbortController();
    const waiting = new AbortController();
    const c = reads.read(5_000, again.signal, timedOut);
    const d = reads.read(5_000, waiting.signal, timedOut);
    again.abort();
    expect(started[1].signal.aborted).toBe(false);
    waiting.abort();
    await expect(Promise.allSettled([c, d])).resolves.toHaveLength(2);
    expect(started[1].signal.aborted).toBe(true);
    await settle();
    expect(started).toHaveLength(2);
  });

  it('a waiting read whose callers all left never starts', async () => {
    const { started, start } = manualReads<string>();
    const reads = new ReadCoalescer(start);
    const running = reads.read(5_000, undefined, timedOut);
    const leaving = new AbortController();
    const waiting = reads.read(5_000, leaving.signal, timedOut);
    leaving.abort();
    await expect(waiting).rejects.toThrow('the caller gave up');
    started[0].resolve('only');
    expect(await running).toBe('only');
    await settle();
    expect(started).toHaveLength(1);
  });

  it('a failed read rejects every caller of it; the next starts for the callers that waited', async () => {
    const { started, start } = manualReads<string>();
    const reads = new ReadCoalescer(start);
    const first = reads.read(5_000, undefined, timedOut);
    const next = reads.read(5_000, undefined, timedOut);
    started[0].reject(new Error('worker exited'));
    await expect(first).rejects.toThrow('worker exited');
    await settle();
    started[1].resolve('retry');
    expect(await next).toBe('retry');
  });
});
