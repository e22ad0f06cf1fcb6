/**
 * What a worker that died took with it. Records it had consumed (from the ring and the overflow) but not exported
 * lived only in its memory: they are lost. Those an export of it had on the way (below the in-flight positions it
 * published before sending) are possibly delivered: the backend may have taken them, so they are counted apart,
 * never as lost, and never sent again. Both counts go to the ring's header (LOST, POSSIBLY_DELIVERED), where the
 * replacement exports them and stats() reads them.
 */
import type { RingHeader } from '../contract/ring-header.js';

export class LossCount {
  /**
   * READ_INDEX and SPILL_RECORDS_READ up to which losses were already counted, so that two deaths in a row never
   * count a record twice.
   */
  private countedThrough: { ring: number; spill: number };

  constructor(private readonly header: RingHeader) {
    this.countedThrough = { ring: header.exportedReadIndex, spill: header.exportedSpillRecords };
  }

  /** Counts what the worker that just died held; returns this death's counts. */
  count(): { lost: number; possiblyDelivered: number } {
    const header = this.header;
    const ring = unexportedSince(this.countedThrough.ring, header.exportedReadIndex, header.inFlightReadIndex, header.readIndex);
    const spill = unexportedSince(
      this.countedThrough.spill,
      header.exportedSpillRecords,
      header.inFlightSpillRecords,
      header.spillRecordsRead,
    );
    this.countedThrough = { ring: header.readIndex, spill: header.spillRecordsRead };
    const lost = ring.lost + spill.lost;
    const possiblyDelivered = ring.inFlight + spill.inFlight;
    if (lost > 0) header.addLost(lost);
    if (possiblyDelivered > 0) header.addPossiblyDelivered(possiblyDelivered);
    return { lost, possiblyDelivered };
  }
}

/**
 * Records read up to `read` and not covered by the last export, nor by a loss already counted (`countedThrough`):
 * those below `inFlight` (what an export on the way covered) and the rest. Positions are free-running 32-bit
 * counters, compared by their difference.
 */
function unexportedSince(countedThrough: number, exported: number, inFlight: number, read: number): { inFlight: number; lost: number } {
  const from = ((countedThrough - exported) | 0) > 0 ? countedThrough : exported;
  const unexported = (read - from) >>> 0;
  const sent = ((inFlight - from) | 0) > 0 ? Math.min((inFlight - from) >>> 0, unexported) : 0;
  return { inFlight: sent, lost: unexported - sent };
}
