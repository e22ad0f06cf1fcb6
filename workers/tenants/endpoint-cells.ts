import type { EndpointCell } from '../../src/contract/analytics.js';
import type { MemoryBudget } from '../memory-budget.js';
import { ActivityWindows } from './activity-window.js';

/**
 * The request counters of every (tenant, method + route) cell of a shard, side by side in one Float64Array slab,
 * with each cell's per-minute window (requests over the last hour, exact to the minute as the tenant's) in the
 * windows' slab at the same slot number. A cell is a slot number; a profile maps its endpoint keys to slots.
 *
 * Why a slab: a cell as an object with six number fields cost 192 bytes on the V8 heap (each double boxed, plus
 * its Map entry); here its counters are 48 bytes, and the Map entry that names it holds a small integer. The slabs
 * grow by doubling, charged to the shard's memory budget; a slot freed by a forgotten tenant is reused.
 */
const REQUESTS = 0;
const SERVER_ERRORS = 1;
const CLIENT_ERRORS = 2;
const DURATION_SUM = 3;
const REQUEST_BYTES = 4;
const RESPONSE_BYTES = 5;
const FIELDS = 6;

/** A cell's counters as the contract names them. */
export type CellCounts = Omit<EndpointCell, 'method' | 'route'>;

export class EndpointCells {
  private counters = new Float64Array(0);
  private readonly hours: ActivityWindows;

  /** `budget`: charged for both slabs' growth; none: unbounded (tests of the cells alone). */
  constructor(private readonly budget?: MemoryBudget) {
    this.hours = new ActivityWindows(budget);
  }

  /** A new, zeroed cell; -1 when the budget refuses the slabs' growth. */
  allocate(): number {
    const slot = this.hours.allocate();
    if (slot < 0) return -1;
    const needed = (slot + 1) * FIELDS;
    if (needed > this.counters.length && !this.growCounters(slot + 1)) {
      this.hours.release(slot);
      return -1;
    }
    return slot;
  }

  /** Gives a cell back for reuse, zeroed. */
  release(slot: number): void {
    if (slot < 0) return;
    this.counters.fill(0, slot * FIELDS, (slot + 1) * FIELDS);
    this.hours.release(slot);
  }

  /** Counts one request (the same figures the profile counts for the tenant). */
  add(
    slot: number,
    nowMillis: number,
    serverError: number,
    clientError: number,
    seconds: number,
    requestBytes: number,
    responseBytes: number,
  ): void {
    const counters = this.counters;
    const at = slot * FIELDS;
    counters[at + REQUESTS]++;
    counters[at + SERVER_ERRORS] += serverError;
    counters[at + CLIENT_ERRORS] += clientError;
    counters[at + DURATION_SUM] += seconds;
    counters[at + REQUEST_BYTES] += requestBytes;
    counters[at + RESPONSE_BYTES] += responseBytes;
    this.hours.add(slot, nowMillis);
  }

  /** A cell's counters, and its requests in the 60 minutes ending with the minute of `nowMillis`. */
  read(slot: number, nowMillis: number): CellCounts {
    const at = slot * FIELDS;
    const c = this.counters;
    return {
      requests: c[at + REQUESTS],
      serverErrors: c[at + SERVER_ERRORS],
      clientErrors: c[at + CLIENT_ERRORS],
      durationSumSeconds: c[at + DURATION_SUM],
      requestBytes: c[at + REQUEST_BYTES],
      responseBytes: c[at + RESPONSE_BYTES],
      requestsLastHour: this.hours.lastHour(slot, nowMillis),
    };
  }

  /** Grows the counters to hold at least `cells` cells: doubling, or as much of it as the budget allows. */
  private growCounters(cells: number): boolean {
    const capacity = this.counters.length / FIELDS;
    let target = Math.max(64, capacity * 2, cells);
    while (target >= cells) {
      if (this.budget === undefined || this.budget.tryReserve((target - capacity) * FIELDS * 8)) {
        this.resize(target);
        return true;
      }
      if (target === cells) break;
      target = Math.max(cells, capacity + Math.floor((target - capacity) / 2));
    }
    return false;
  }

  private resize(cells: number): void {
    const counters = new Float64Array(cells * FIELDS);
    counters.set(this.counters);
    this.counters = counters;
  }
}
