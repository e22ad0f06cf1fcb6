/** What a holder of memory asks of the budget. */
export interface Reservations {
  /** Reserves `bytes` if they fit; false (nothing reserved) if not. */
  tryReserve(bytes: number): boolean;
  /** Accounts bytes that cannot be refused (bounded elsewhere). */
  charge(bytes: number): void;
  /** Takes back a reservation just made, whose structure could not be completed (nothing was freed). */
  unreserve(bytes: number): void;
  /** Gives back bytes reserved or charged before (their structure is gone). */
  release(bytes: number): void;
}

/**
 * Share of the bound kept for the accepted totals of GET /metrics (cumulative-totals.ts): they are made at an
 * export, after the series they copy, so without a share of their own the series and tenant state made between two
 * exports would leave them nothing, and every total would go to the overflow cell.
 */
export const TOTALS_SHARE = 0.3;

/**
 * Share of the shard's memory bound the worker's state leaves to the overflow (src/ring/spill.ts): records a full
 * ring hands over in 128 KiB segments, then folded per series, which fit only where the worker's state
 * (SERIES_BYTES) leaves room. With its state at the bound (a flood of new tenants fills it), a burst would otherwise
 * find no room: 1/8 of the default 10 MiB holds the four raw segments (16,384 records) and ~2,900 folded series.
 */
export const SPILL_SHARE = 0.125;

/**
 * Bytes of state one worker may hold (its share of `maxMemoryBytes`), shared by everything it keeps per tenant,
 * route, table or series: the series stores, the tenant profiles with their sketches, activity windows and cells,
 * the labels it decoded, and the accepted totals of GET /metrics (docs/architecture.md, "Memory accounting"). A
 * holder charges when a structure is made or grows, never per record; a refusal sends what did not fit to an
 * overflow (a new tenant to `__overflow__`, a new series to `__overflow__`'s or its store's overflow series, a new
 * total to its family's overflow cell), so memory stays bounded and what was folded is counted.
 *
 * Two classes share the bound: the totals (`totals`) may use all of it; every other holder leaves the part of
 * TOTALS_SHARE the totals do not use yet free for them.
 */
export class MemoryBudget implements Reservations {
  private usedBytes = 0;
  private totalsBytes = 0;
  private readonly totalsShareBytes: number;
  /**
   * Bumped whenever bytes are given back (a tenant forgotten): something refused before may fit now. Folded
   * tenants try again once it moved (tenant-admission.ts), never on every record.
   */
  releases = 0;
  /** The accepted totals' view of this budget. */
  readonly totals: Reservations;

  /** `totalsShare`: the share kept for the totals (the shard passes TOTALS_SHARE; a store tested alone, none). */
  constructor(
    readonly limitBytes: number,
    totalsShare = 0,
  ) {
    this.totalsShareBytes = Math.floor(limitBytes * totalsShare);
    this.totals = {
      tryReserve: (bytes) => {
        if (this.usedBytes + bytes > this.limitBytes) return false;
        this.usedBytes += bytes;
        this.totalsBytes += bytes;
        return true;
      },
      charge: (bytes) => {
        this.usedBytes += bytes;
        this.totalsBytes += bytes;
      },
      unreserve: (bytes) => {
        this.unreserve(bytes);
        this.totalsBytes = Math.max(0, this.totalsBytes - bytes);
      },
      release: (bytes) => {
        this.release(bytes);
        this.totalsBytes = Math.max(0, this.totalsBytes - bytes);
      },
    };
  }

  /** A shard worker's budget: its share of `maxMemoryBytes` short of SPILL_SHARE, TOTALS_SHARE of it kept for the totals. */
  static forShard(shardBoundBytes: number): MemoryBudget {
    return new MemoryBudget(Math.floor(shardBoundBytes * (1 - SPILL_SHARE)), TOTALS_SHARE);
  }

  /** Everything accounted now, totals included. */
  get used(): number {
    return this.usedBytes;
  }

  /** What the accepted totals account now. */
  get totalsUsed(): number {
    return this.totalsBytes;
  }

  /**
   * Reserves `bytes` if they fit under the limit less the totals' unused share and `headroomBytes`: a new tenant
   * is admitted only while the headroom stays free for the tenants already admitted (their new series and cells).
   */
  tryReserve(bytes: number, headroomBytes = 0): boolean {
    const keptForTotals = Math.max(0, this.totalsShareBytes - this.totalsBytes);
    if (this.usedBytes + bytes > this.limitBytes - keptForTotals - headroomBytes) return false;
    this.usedBytes += bytes;
    return true;
  }

  /**
   * Accounts bytes that cannot be refused because they are bounded elsewhere (a label decoded from the string
   * table, whose size the caps fix): they count, so that what can be refused is refused sooner.
   */
  charge(bytes: number): void {
    this.usedBytes += bytes;
  }

  unreserve(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
    this.releases++;
  }
}
