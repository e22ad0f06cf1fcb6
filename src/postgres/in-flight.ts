import type { PostgresQuery } from './postgres-js.js';

export type Settler = (value: unknown) => unknown;

/** Called when a query settles, before its own settler runs; must not throw. */
export type OnSettle = (
  query: PostgresQuery,
  started: number,
  tenant: number,
  inUse: number,
  holdsConnection: boolean,
  failed: boolean,
  value: unknown,
) => void;

/**
 * The queries of one client that are in flight, in reusable slots, so that observing a query allocates nothing
 * of its own: the start time, tenant and pool reading sit in typed arrays, and each slot has its pair of settle
 * wrappers, made once and installed in every query the slot serves. (A closure per query would be cheap to make,
 * but a postgres.js Query often lives in the old generation, and young objects it points to survive collections
 * and get copied: a measurable cost per query.) Slots grow with the most queries in flight at once and are kept.
 *
 * When a query settles, its slot gives postgres.js's own settlers back to it before being freed: a later call,
 * should postgres.js ever settle a query twice, goes straight to them and can never reach the slot's next query.
 */
export class InFlightQueries {
  private started = new Float64Array(16);
  private tenants = new Int32Array(16);
  private inUse = new Int32Array(16);
  private holds = new Uint8Array(16);
  private readonly queries: Array<PostgresQuery | undefined> = [];
  private readonly resolvers: Array<Settler | undefined> = [];
  private readonly rejecters: Array<Settler | undefined> = [];
  private readonly resolveWrappers: Settler[] = [];
  private readonly rejectWrappers: Settler[] = [];
  private readonly free: number[] = [];

  constructor(private readonly onSettle: OnSettle) {}

  /** Installs the slot's wrappers as `query.resolve` / `query.reject`. */
  add(query: PostgresQuery, started: number, tenant: number, inUse: number, holdsConnection: boolean): void {
    const slot = this.free.length > 0 ? (this.free.pop() as number) : this.newSlot();
    this.started[slot] = started;
    this.tenants[slot] = tenant;
    this.inUse[slot] = inUse;
    this.holds[slot] = holdsConnection ? 1 : 0;
    this.queries[slot] = query;
    this.resolvers[slot] = query.resolve;
    this.rejecters[slot] = query.reject;
    query.resolve = this.resolveWrappers[slot];
    query.reject = this.rejectWrappers[slot];
  }

  private settle(slot: number, failed: boolean, value: unknown): unknown {
    const query = this.queries[slot] as PostgresQuery;
    const resolve = this.resolvers[slot] as Settler;
    const reject = this.rejecters[slot] as Settler;
    query.resolve = resolve;
    query.reject = reject;
    // Nothing of the query stays referenced from a free slot.
    this.queries[slot] = undefined;
    this.resolvers[slot] = undefined;
    this.rejecters[slot] = undefined;
    this.free.push(slot);
    this.onSettle(query, this.started[slot], this.tenants[slot], this.inUse[slot], this.holds[slot] === 1, failed, value);
    return failed ? reject(value) : resolve(value);
  }

  private newSlot(): number {
    const slot = this.queries.length;
    if (slot === this.started.length) this.grow(slot * 2);
    this.queries.push(undefined);
    this.resolvers.push(undefined);
    this.rejecters.push(undefined);
    // Arrows, like the settlers postgres.js installs (which ignore `this`): the fields keep one kind of value.
    this.resolveWrappers.push((value: unknown) => this.settle(slot, false, value));
    this.rejectWrappers.push((error: unknown) => this.settle(slot, true, error));
    return slot;
  }

  private grow(length: number): void {
    this.started = grown(this.started, length);
    this.tenants = grown(this.tenants, length);
    this.inUse = grown(this.inUse, length);
    this.holds = grown(this.holds, length);
  }
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(array: T, length: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}
