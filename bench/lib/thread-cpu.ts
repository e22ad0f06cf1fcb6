import { readdirSync, readFileSync } from 'node:fs';

/**
 * Nanoseconds of CPU the calling thread has run, from Linux's /proc/thread-self/schedstat (its first field); undefined
 * elsewhere. Unlike wall time it leaves out the time the thread waited for a core, which on a shared machine is most
 * of the noise; unlike process.cpuUsage() it leaves out the other threads (ringmeter's workers, libuv). One read costs
 * tens of microseconds: bracket whole batches with it, never single operations.
 */
export function threadCpuNanos(): number | undefined {
  try {
    return runNanos('/proc/thread-self/schedstat');
  } catch {
    return undefined;
  }
}

/**
 * Nanoseconds of CPU each thread of this process has run, by thread id (/proc/self/task/<tid>/schedstat); empty
 * elsewhere. Taken before and after a window, the busiest thread other than the main one is ringmeter's worker in
 * the variants that have one (the rest are V8's and libuv's helpers, a fraction of a microsecond per request).
 */
export function threadsCpuNanos(): Map<string, number> {
  const threads = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        threads.set(tid, runNanos(`/proc/self/task/${tid}/schedstat`));
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // Not Linux.
  }
  return threads;
}

/** The CPU nanoseconds of the busiest thread other than the main one between two `threadsCpuNanos` readings. */
export function busiestOtherThreadNanos(before: Map<string, number>, after: Map<string, number>): number {
  let busiest = 0;
  for (const [tid, nanos] of after) {
    if (tid === String(process.pid)) continue;
    busiest = Math.max(busiest, nanos - (before.get(tid) ?? 0));
  }
  return busiest;
}

/** The first field of a schedstat file: nanoseconds its thread has run on a CPU. */
function runNanos(schedstat: string): number {
  return Number(readFileSync(schedstat, 'utf8').split(' ')[0]);
}
