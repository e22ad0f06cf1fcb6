import type { MainToWorker, WorkerToMain } from '../contract/protocol.js';
import { TENANT_ID_BASE } from '../contract/strings-layout.js';
import type { RingWriter } from '../ring/ring-writer.js';
import type { TenantSlots } from '../strings/tenant-slots.js';

/**
 * The main thread's side of tenant retention for one shard (docs/design/tenant-retention.md, steps 2 and 4): it
 * judges the worker's idle proposals against what this thread wrote since, tells the worker what to forget, and
 * frees a slot only once the worker has reported it forgotten and the shard's READ_INDEX and SPILL_SEGMENTS_READ
 * have passed its fence. Everything runs on the main thread, between record writes (message handlers and timers),
 * so no record is half-written while it looks at the stamps.
 */
export class RetentionHandshake {
  /** This shard's slots retired and not yet freed. */
  private readonly retiring = new Set<number>();

  constructor(
    private readonly shard: number,
    private readonly ring: RingWriter,
    private readonly slots: TenantSlots,
  ) {}

  /** Slots retired and not yet freed (for stats and tests). */
  get inHandshake(): number {
    return this.retiring.size;
  }

  /**
   * Step 2: the tenants of the proposal that stayed idle, retired; the message telling the worker to forget them,
   * or undefined. The open overflow segment is sealed first, so that the fence (the ring's next index, the next
   * segment) lies after every record written so far.
   */
  onIdle(message: Extract<WorkerToMain, { type: 'tenantsIdle' }>): MainToWorker | undefined {
    this.ring.spill.seal();
    const retired = this.slots.arbitrate(
      { slots: message.ids.map((id) => id - TENANT_ID_BASE), readIndex: message.readIndex, spillSegmentsRead: message.spillSegmentsRead },
      this.ring.position,
    );
    for (const slot of retired) this.retiring.add(slot);
    return forget(retired);
  }

  /** Step 3 done: the worker holds nothing for these; their slots are freed as soon as the fence allows. */
  onForgotten(message: Extract<WorkerToMain, { type: 'tenantsForgotten' }>): MainToWorker | undefined {
    this.slots.forgottenByWorker(message.ids.map((id) => id - TENANT_ID_BASE));
    return this.release();
  }

  /**
   * Step 4: frees this shard's forgotten slots whose fence the worker has passed; tried on every report, after every
   * export and on the supervisor's progress checks (a fence may pass later). A slot written after its retirement (an
   * id resolved before it and used after, by a request or query in flight) is retired again behind a new fence: the
   * returned message asks the worker to forget what that record created.
   */
  release(): MainToWorker | undefined {
    if (this.retiring.size === 0) return undefined;
    const header = this.ring.header;
    // A late record may sit in the open segment: sealed, so that the new fence lies after it.
    this.ring.spill.seal();
    const { freed, reforget } = this.slots.release(this.shard, header.readIndex >>> 0, header.spillSegmentsRead >>> 0, this.ring.position);
    for (const slot of freed) this.retiring.delete(slot);
    return forget(reforget);
  }

  /**
   * For a replacement worker: the slots its dead predecessor was told to forget and never reported. It may hold
   * state for them (from records still in the ring), and only its report lets them be freed: asked again, they
   * never stay retiring for good.
   */
  forReplacement(): MainToWorker | undefined {
    return forget(this.slots.retiringOf(this.shard));
  }
}

function forget(slots: readonly number[]): MainToWorker | undefined {
  return slots.length === 0 ? undefined : { type: 'tenantsForget', ids: slots.map((slot) => TENANT_ID_BASE + slot) };
}
