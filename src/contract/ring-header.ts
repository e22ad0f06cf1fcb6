import {
  DROPPED,
  DROPPED_POINTS,
  POSSIBLY_DUPLICATED_POINTS,
  EXPORTS_SETTLED_FAILED,
  EXPORTS_SETTLED_OK,
  REJECTED_POINTS,
  EXPORT_ATTEMPTS,
  EXPORT_FAILED,
  EXPORT_SUCCEEDED,
  EXPORTED_READ_INDEX,
  EXPORTED_SPILL_RECORDS,
  HEADER_SLOTS,
  HEARTBEAT,
  IN_FLIGHT_READ_INDEX,
  IN_FLIGHT_SPILL_RECORDS,
  LAST_EXPORT_MICROS,
  LOST,
  OVERFLOWED,
  POSSIBLY_DELIVERED,
  READ_INDEX,
  RECORDS_FOLDED,
  REJECTED,
  SERIES,
  SERIES_BYTES,
  SPILL_BYTES,
  RESTARTS,
  SPILL_RECORDS_READ,
  SPILL_SEGMENTS_READ,
  TENANTS_ADMITTED,
  TENANTS_FOLDED,
  UNDECODABLE,
  WRITE_INDEX,
} from './ring-layout.js';

const INT32_MAX = 2 ** 31 - 1;

/**
 * Named access to one ring's header (ring-layout.ts says which thread writes which slot). Every read is an
 * `Atomics.load` and every write an `Atomics.store` or `Atomics.add`, so a value is never torn and a store
 * publishes whatever the writer wrote before it. Setters are grouped by the thread that may call them.
 *
 * Counters are 32-bit slots: they wrap, and a reader takes differences with `>>> 0`. Byte amounts saturate.
 */
export class RingHeader {
  readonly slots: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer, 0, HEADER_SLOTS);
  }

  // --- read by either thread ---
  get writeIndex(): number {
    return Atomics.load(this.slots, WRITE_INDEX);
  }
  get readIndex(): number {
    return Atomics.load(this.slots, READ_INDEX);
  }
  get exportedReadIndex(): number {
    return Atomics.load(this.slots, EXPORTED_READ_INDEX);
  }
  get heartbeat(): number {
    return Atomics.load(this.slots, HEARTBEAT);
  }
  get exportAttempts(): number {
    return Atomics.load(this.slots, EXPORT_ATTEMPTS);
  }
  get exportsSucceeded(): number {
    return Atomics.load(this.slots, EXPORT_SUCCEEDED);
  }
  get exportsFailed(): number {
    return Atomics.load(this.slots, EXPORT_FAILED);
  }
  get lastExportMicros(): number {
    return Atomics.load(this.slots, LAST_EXPORT_MICROS);
  }
  get series(): number {
    return Atomics.load(this.slots, SERIES);
  }
  get seriesBytes(): number {
    return Atomics.load(this.slots, SERIES_BYTES);
  }
  get tenantsAdmitted(): number {
    return Atomics.load(this.slots, TENANTS_ADMITTED);
  }
  get tenantsFolded(): number {
    return Atomics.load(this.slots, TENANTS_FOLDED);
  }
  get recordsFolded(): number {
    return Atomics.load(this.slots, RECORDS_FOLDED) >>> 0;
  }
  get spillBytes(): number {
    return Atomics.load(this.slots, SPILL_BYTES);
  }
  get spillSegmentsRead(): number {
    return Atomics.load(this.slots, SPILL_SEGMENTS_READ);
  }
  get spillRecordsRead(): number {
    return Atomics.load(this.slots, SPILL_RECORDS_READ);
  }
  get exportedSpillRecords(): number {
    return Atomics.load(this.slots, EXPORTED_SPILL_RECORDS);
  }
  get undecodable(): number {
    return Atomics.load(this.slots, UNDECODABLE);
  }
  get inFlightReadIndex(): number {
    return Atomics.load(this.slots, IN_FLIGHT_READ_INDEX);
  }
  get inFlightSpillRecords(): number {
    return Atomics.load(this.slots, IN_FLIGHT_SPILL_RECORDS);
  }
  /** Times the shard's worker was replaced. */
  get restarts(): number {
    return Atomics.load(this.slots, RESTARTS) >>> 0;
  }
  /** Records lost with a worker that died holding them. */
  get lost(): number {
    return Atomics.load(this.slots, LOST) >>> 0;
  }
  /** Records whose export was out when their worker died. */
  get possiblyDelivered(): number {
    return Atomics.load(this.slots, POSSIBLY_DELIVERED) >>> 0;
  }
  get rejectedPoints(): number {
    return Atomics.load(this.slots, REJECTED_POINTS) >>> 0;
  }
  get droppedPoints(): number {
    return Atomics.load(this.slots, DROPPED_POINTS) >>> 0;
  }
  /** Data points sent again after a request of theirs timed out once it had gone out whole. */
  get possiblyDuplicatedPoints(): number {
    return Atomics.load(this.slots, POSSIBLY_DUPLICATED_POINTS) >>> 0;
  }
  /** Exports settled, by outcome (one per interval, whatever the exporters). */
  get exportsSettled(): { ok: number; failed: number } {
    return { ok: Atomics.load(this.slots, EXPORTS_SETTLED_OK) >>> 0, failed: Atomics.load(this.slots, EXPORTS_SETTLED_FAILED) >>> 0 };
  }

  // --- written by the main thread only ---
  /** Publishes every record below `index` (after their plain stores: see ring-layout.ts). */
  publishWriteIndex(index: number): void {
    Atomics.store(this.slots, WRITE_INDEX, index);
  }
  setDropped(total: number): void {
    Atomics.store(this.slots, DROPPED, total | 0);
  }
  setRejected(total: number): void {
    Atomics.store(this.slots, REJECTED, total | 0);
  }
  addLost(records: number): void {
    Atomics.add(this.slots, LOST, records);
  }
  addRestart(): void {
    Atomics.add(this.slots, RESTARTS, 1);
  }
  addPossiblyDelivered(records: number): void {
    Atomics.add(this.slots, POSSIBLY_DELIVERED, records);
  }
  setSpillBytes(bytes: number): void {
    Atomics.store(this.slots, SPILL_BYTES, Math.min(bytes, INT32_MAX));
  }

  // --- written by the worker only ---
  /** Frees the slots below `index` for the main thread: call it only after those records were aggregated. */
  publishReadIndex(index: number): void {
    Atomics.store(this.slots, READ_INDEX, index);
  }
  beat(): void {
    Atomics.add(this.slots, HEARTBEAT, 1);
  }
  /** One overflow segment of `records` records was aggregated (segments are read whole, in the order sent). */
  addSpillSegmentRead(records: number): void {
    Atomics.add(this.slots, SPILL_RECORDS_READ, records);
    // After the records: a main thread that sees the segment count also sees them counted (for its loss count).
    Atomics.add(this.slots, SPILL_SEGMENTS_READ, 1);
  }
  /**
   * Before an export's first request: its data covers the ring below `readIndex` and the overflow's first
   * `spillRecords` records. After its last, call it again with the exported baselines (nothing in flight).
   */
  setInFlight(readIndex: number, spillRecords: number): void {
    Atomics.store(this.slots, IN_FLIGHT_READ_INDEX, readIndex);
    Atomics.store(this.slots, IN_FLIGHT_SPILL_RECORDS, spillRecords);
  }
  addUndecodable(): void {
    Atomics.add(this.slots, UNDECODABLE, 1);
  }
  addExportAttempts(attempts: number): void {
    Atomics.add(this.slots, EXPORT_ATTEMPTS, attempts);
  }
  addExportSucceeded(): void {
    Atomics.add(this.slots, EXPORT_SUCCEEDED, 1);
  }
  addExportFailed(): void {
    Atomics.add(this.slots, EXPORT_FAILED, 1);
  }
  /**
   * An export settled: `ok` unless a request of it failed; `rejectedPoints` the backend refused in partial
   * successes, `droppedPoints` dropped with batches refused for good, `possiblyDuplicatedPoints` in requests that
   * timed out after going out whole. Before the `exported` message that says so.
   */
  addExportSettled(ok: boolean, rejectedPoints: number, droppedPoints: number, possiblyDuplicatedPoints: number): void {
    Atomics.add(this.slots, REJECTED_POINTS, rejectedPoints);
    Atomics.add(this.slots, DROPPED_POINTS, droppedPoints);
    Atomics.add(this.slots, POSSIBLY_DUPLICATED_POINTS, possiblyDuplicatedPoints);
    Atomics.add(this.slots, ok ? EXPORTS_SETTLED_OK : EXPORTS_SETTLED_FAILED, 1);
  }
  setLastExportMicros(micros: number): void {
    Atomics.store(this.slots, LAST_EXPORT_MICROS, Math.min(INT32_MAX, Math.round(micros)));
  }
  setSeries(count: number): void {
    Atomics.store(this.slots, SERIES, count);
  }
  setSeriesBytes(bytes: number): void {
    Atomics.store(this.slots, SERIES_BYTES, Math.min(bytes, INT32_MAX));
  }
  /** What the memory bound did to tenants (tenant-admission.ts): admitted and folded now, records folded so far. */
  setTenants(admitted: number, folded: number, recordsFolded: number): void {
    Atomics.store(this.slots, TENANTS_ADMITTED, admitted);
    Atomics.store(this.slots, TENANTS_FOLDED, folded);
    Atomics.store(this.slots, RECORDS_FOLDED, recordsFolded | 0);
  }
  setOverflowed(count: number): void {
    Atomics.store(this.slots, OVERFLOWED, count | 0);
  }

  /** A count kept as a total and an export baseline: its growth since the baseline (the export's delta). */
  growth(totalSlot: number, baselineSlot: number, total = Atomics.load(this.slots, totalSlot)): number {
    return (total - Atomics.load(this.slots, baselineSlot)) >>> 0;
  }
  /** Worker only: an export covering the count up to `total` was accepted. */
  settleBaseline(baselineSlot: number, total: number): void {
    Atomics.store(this.slots, baselineSlot, total);
  }
  load(slot: number): number {
    return Atomics.load(this.slots, slot);
  }
}
