import { readFileSync } from 'node:fs';

/**
 * Nanoseconds of CPU the calling thread has run, from Linux's /proc/thread-self/schedstat (its first field); undefined
 * elsewhere. Unlike wall time it leaves out the time the thread waited for a core, which on a shared machine is most
 * of the noise; unlike process.cpuUsage() it leaves out the other threads (ringmeter's workers, libuv). One read costs
 * tens of microseconds: bracket whole batches with it, never single operations.
 */
export function threadCpuNanos(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}
