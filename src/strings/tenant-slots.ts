/**
 * The main thread's half of tenant retention (docs/design/tenant-retention.md): which tenant holds which of the
 * `maxTenants` reusable slots, and when a slot may be given to another tenant. The tenant interner (interner.ts)
 * acquires slots, the ring writer and the overflow stamp them (ring-writer.ts, spill.ts), and each shard's
 * supervisor runs the handshake with its worker (shard-supervisor.ts).
 *
 * Concurrency: everything here runs on the main thread. The worker only *proposes* idle tenants (with the
 * READ_INDEX and SPILL_SEGMENTS_READ it had aggregated when it decided); this class decides, from what the main
 * thread itself wrote since, whether the proposal still holds, and frees a slot only once the worker has forgotten
 * the tenant's state and the ring and overflow hold no record carrying the slot's old meaning (the fence).
 */
import { TENANT_SLOT_UNITS } from '../contract/strings-layout.js';

const FREE = 0;
const LIVE = 1;
/** Out of the Map (a new request for the string gets a fresh slot), waiting for the worker and the fence. */
const RETIRING = 2;
/** The worker has forgotten the tenant; only the fence remains. */
const FORGOTTEN = 3;

/** What the worker had aggregated when it judged tenants idle. */
export interface IdleProposal {
  slots: readonly number[];
  readIndex: number;
  spillSegmentsRead: number;
}

/** Where the shard's writes stand now: the next ring index and the sequence of the open overflow segment. */
export interface WritePosition {
  writeIndex: number;
  openSegment: number;
}

/** What `release` did: slots freed, and slots written after their fence, to be forgotten by the worker again. */
export interface Release {
  freed: number[];
  reforget: number[];
}

/** Tenant ids to look for in free text (the live ones: Labels.liveTenantIds, operations/tenant-free-text.ts). */
export interface KnownIds {
  has(id: string): boolean;
  /** Whether some id is `units` UTF-16 units long: lengths none has are not tried. */
  hasIdOfLength(units: number): boolean;
}

/** `a ≥ b` for free-running 32-bit counters (valid while they are less than 2^31 apart). */
function atOrAfter(a: number, b: number): boolean {
  return (a - b) >>> 0 < 0x80000000;
}

export class TenantSlots {
  private readonly ids = new Map<string, number>();
  private readonly names: (string | undefined)[];
  private readonly state: Uint8Array;
  /**
   * Ring index of the tenant's last record written to the ring: stored by RingWriter.write, one store per record
   * (shared with every shard's writer: a slot belongs to one shard, so only that shard's writer stores into it).
   */
  readonly ringStamp: Uint32Array;
  /** 1 + sequence of the overflow segment that took the tenant's last spilled record; 0 when none (Spill.write). */
  readonly segmentStamp: Uint32Array;
  private readonly fenceIndex: Uint32Array;
  private readonly fenceSegment: Uint32Array;
  private readonly free: Int32Array;
  private freeCount: number;
  /** Live ids by length (UTF-16 units): lets a text be searched for ids without trying lengths none has. */
  private readonly idsOfLength = new Uint32Array(TENANT_SLOT_UNITS + 1);

  /**
   * `shards` and `idBase` say which shard a slot belongs to: the record of slot s carries the tenant id
   * idBase + s and goes to shard (idBase + s) % shards (engine/record-writer.ts).
   */
  constructor(
    readonly maxTenants: number,
    private readonly shards = 1,
    private readonly idBase = 0,
  ) {
    this.names = new Array(maxTenants).fill(undefined);
    this.state = new Uint8Array(maxTenants);
    this.ringStamp = new Uint32Array(maxTenants);
    this.segmentStamp = new Uint32Array(maxTenants);
    this.fenceIndex = new Uint32Array(maxTenants);
    this.fenceSegment = new Uint32Array(maxTenants);
    this.free = new Int32Array(maxTenants);
    // Lowest slots first, so that a small service keeps small ids.
    for (let i = 0; i < maxTenants; i++) this.free[i] = maxTenants - 1 - i;
    this.freeCount = maxTenants;
  }

  /** Tenants holding a slot (live, retiring or forgotten but still fenced). */
  get held(): number {
    return this.maxTenants - this.freeCount;
  }

  /** Tenants live now (in the Map): what the `maxTenants` cap counts. */
  get live(): number {
    return this.ids.size;
  }

  /** The live slot of `tenant`, or undefined: the request path's one Map lookup. */
  slotOf(tenant: string): number | undefined {
    return this.ids.get(tenant);
  }

  /** Whether some live tenant's id is `units` UTF-16 units long. */
  hasIdOfLength(units: number): boolean {
    return units <= TENANT_SLOT_UNITS && this.idsOfLength[units] > 0;
  }

  /** The slot of `tenant`, a free one if it has none, or -1 when every slot is held (the caller overflows). */
  acquire(tenant: string): number {
    const known = this.ids.get(tenant);
    if (known !== undefined) return known;
    if (this.freeCount === 0) return -1;
    const slot = this.free[--this.freeCount];
    this.ids.set(tenant, slot);
    this.idsOfLength[Math.min(tenant.length, TENANT_SLOT_UNITS)]++;
    this.names[slot] = tenant;
    this.state[slot] = LIVE;
    this.segmentStamp[slot] = 0;
    return slot;
  }

  /** Called for every record of the slot's tenant written to the ring, with the index it took. */
  stampRing(slot: number, ringIndex: number): void {
    this.ringStamp[slot] = ringIndex;
  }

  /** Called for every record of the slot's tenant written to the overflow, with the open segment's sequence. */
  stampSegment(slot: number, segment: number): void {
    this.segmentStamp[slot] = segment + 1;
  }

  /**
   * Judges a worker's proposal against what was written since it decided, and retires the slots it still holds
   * for; returns them (the worker is then told to forget them). A tenant with a record the worker had not
   * aggregated when it decided came back: it stays live, on the same slot. When in doubt, keep.
   */
  arbitrate(proposal: IdleProposal, now: WritePosition): number[] {
    const retired: number[] = [];
    for (const slot of proposal.slots) {
      if (slot < 0 || slot >= this.maxTenants || this.state[slot] !== LIVE) continue;
      if (atOrAfter(this.ringStamp[slot], proposal.readIndex)) continue;
      const segment = this.segmentStamp[slot];
      if (segment !== 0 && atOrAfter(segment - 1, proposal.spillSegmentsRead)) continue;
      const name = this.names[slot] as string;
      this.ids.delete(name);
      this.idsOfLength[Math.min(name.length, TENANT_SLOT_UNITS)]--;
      this.names[slot] = undefined;
      this.state[slot] = RETIRING;
      // Every record carrying the old meaning sits below these: nothing names the slot after this point.
      this.fenceIndex[slot] = now.writeIndex;
      this.fenceSegment[slot] = now.openSegment;
      this.stampBehindFence(slot);
      retired.push(slot);
    }
    return retired;
  }

  /**
   * The worker holds no state for these any more. A slot the worker kept instead (late data it must export
   * first) simply stays retiring: its string has left the Map, so nothing names it again; the worker forgets it
   * after the export that settles that data and reports it here then (no second proposal: arbitrate takes live slots only).
   */
  forgottenByWorker(slots: readonly number[]): void {
    for (const slot of slots) if (this.state[slot] === RETIRING) this.state[slot] = FORGOTTEN;
  }

  /**
   * Frees the forgotten slots of shard `shard` whose
   * fence the worker has passed (READ_INDEX and SPILL_SEGMENTS_READ as loaded from the shard's header). The
   * slot's tenant-region entry may be rewritten only after this.
   *
   * A record written with the slot after it was retired (by code that resolved the tenant's id before, e.g. a
   * request or query in flight, and wrote after) would otherwise outlive the fence: such a slot is not freed but
   * retired again behind a new fence at `now`, and returned in `reforget` so that the worker forgets what that
   * record created (its label is still the old tenant's: the slot has not been rewritten).
   */
  release(shard: number, readIndex: number, spillSegmentsRead: number, now: WritePosition): Release {
    const shards = this.shards;
    const freed: number[] = [];
    const reforget: number[] = [];
    for (let slot = firstSlotOf(shard, shards, this.idBase); slot < this.maxTenants; slot += shards) {
      if (this.state[slot] !== FORGOTTEN) continue;
      if (!atOrAfter(readIndex, this.fenceIndex[slot]) || !atOrAfter(spillSegmentsRead, this.fenceSegment[slot])) continue;
      const segment = this.segmentStamp[slot];
      const lateInRing = atOrAfter(this.ringStamp[slot], this.fenceIndex[slot]);
      const lateInOverflow = segment !== 0 && atOrAfter(segment - 1, this.fenceSegment[slot]);
      if (lateInRing || lateInOverflow) {
        this.state[slot] = RETIRING;
        this.fenceIndex[slot] = now.writeIndex;
        this.fenceSegment[slot] = now.openSegment;
        this.stampBehindFence(slot);
        reforget.push(slot);
        continue;
      }
      this.state[slot] = FREE;
      this.free[this.freeCount++] = slot;
      freed.push(slot);
    }
    return { freed, reforget };
  }

  /** The slots of `shard` retired and not yet reported forgotten: a replacement worker is asked to forget them. */
  retiringOf(shard: number): number[] {
    const slots: number[] = [];
    for (let slot = firstSlotOf(shard, this.shards, this.idBase); slot < this.maxTenants; slot += this.shards) {
      if (this.state[slot] === RETIRING) slots.push(slot);
    }
    return slots;
  }

  /**
   * Every record of the slot so far lies below its fence (arbitration checked it): say so in the stamps, so that
   * only a record written from now on compares at or after the fence, however far behind the last one lies.
   */
  private stampBehindFence(slot: number): void {
    this.ringStamp[slot] = (this.fenceIndex[slot] - 1) >>> 0;
    this.segmentStamp[slot] = 0;
  }
}

/** The lowest slot s with (base + s) % shards === shard. */
function firstSlotOf(shard: number, shards: number, base: number): number {
  return (((shard - (base % shards)) % shards) + shards) % shards;
}
