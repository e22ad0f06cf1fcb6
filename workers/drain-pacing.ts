/**
 * When the worker's next drain pass runs. The main thread never wakes the worker (a notify per record would cost
 * more than the record), so the worker sleeps on a timer between passes, and each wake-up has a price of its own:
 * on the 2-vCPU KVM machine of docs/benchmarks.md, an otherwise idle Node thread woken every 10 ms uses 14 ms of
 * CPU per second, 140 µs per wake (timer interrupt, scheduling, the VM's exits), whatever it then does; under
 * load each wake also preempts the main thread or the load's other threads. Measured there at ~50,000 records/s:
 * ~1.5 µs of worker CPU per record with a pass every 10 ms, ~0.8 µs every 50 ms.
 *
 * So the worker sleeps as long as the ring allows: a pass is due when, at the rate of the last pass, the ring
 * would be a quarter full, and never later than MAX_DRAIN_INTERVAL_MILLIS (the heartbeat must beat well within
 * the shortest `workerHangMillis`, 100 ms). The other three quarters absorb a burst, and the overflow (spill.ts)
 * takes what a burst beyond that leaves, so a long sleep never loses a record; it only delays aggregation, which
 * nothing reads sooner than the next export or a flush (both drain first).
 */

/** The longest sleep between passes that found records: a lightly loaded worker wakes 20 times a second. */
export const MAX_DRAIN_INTERVAL_MILLIS = 50;
/**
 * The longest sleep of an idle worker. Passes that find nothing double the sleep from MAX_DRAIN_INTERVAL_MILLIS up to
 * this (50, 100, 200, 400 ms), and never beyond a quarter of `workerHangMillis`, so that the heartbeat still beats
 * four times within the bound. An idle collector's worker then wakes 2.5 times a second instead of 20: on the
 * machine of docs/benchmarks.md each wake costs it about 0.3 ms of CPU (6 ms per second idle at 20 wakes). The
 * first records after an idle spell wait at most this long; a burst that fills the ring meanwhile (16,384 records in
 * 0.4 s: above 40,000 records/s) goes to the overflow, as any burst does, and is never lost.
 */
export const MAX_IDLE_DRAIN_INTERVAL_MILLIS = 400;

/** The idle cap for a hang bound: a quarter of it, within [MAX_DRAIN_INTERVAL_MILLIS, MAX_IDLE_DRAIN_INTERVAL_MILLIS]. */
export function idleDrainCapMillis(workerHangMillis: number): number {
  return Math.max(MAX_DRAIN_INTERVAL_MILLIS, Math.min(MAX_IDLE_DRAIN_INTERVAL_MILLIS, Math.floor(workerHangMillis / 4)));
}
/** The shortest sleep when the last pass left nothing waiting. */
export const MIN_DRAIN_INTERVAL_MILLIS = 1;
/** A pass is due when the ring would hold this share of its capacity. */
const TARGET_FILL = 1 / 4;

/**
 * Milliseconds to sleep after a pass that consumed `consumed` records, `elapsedMillis` after the previous pass,
 * from a ring of `capacity` records. `backlog`: the pass stopped at its limit with records still waiting, so the
 * next pass runs at once (after any pending message or timer). `idleCapMillis` (idleDrainCapMillis): after a pass
 * that found nothing, the sleep doubles the last one (the time since the previous pass), up to this.
 */
export function nextDrainDelayMillis(
  consumed: number,
  elapsedMillis: number,
  capacity: number,
  backlog: boolean,
  idleCapMillis = MAX_DRAIN_INTERVAL_MILLIS,
): number {
  if (backlog) return 0;
  if (!(elapsedMillis > 0)) return MAX_DRAIN_INTERVAL_MILLIS;
  if (consumed <= 0) return Math.min(idleCapMillis, Math.max(MAX_DRAIN_INTERVAL_MILLIS, Math.floor(2 * elapsedMillis)));
  const millisToTarget = (capacity * TARGET_FILL * elapsedMillis) / consumed;
  return Math.min(MAX_DRAIN_INTERVAL_MILLIS, Math.max(MIN_DRAIN_INTERVAL_MILLIS, Math.floor(millisToTarget)));
}
