import {
  GC_TYPES,
  KIND_HTTP,
  KIND_QUERY,
  KIND_RUNTIME,
  KIND_TENANT_USAGE,
  KIND_TRANSACTION,
  QUERY_KEY_IS_SQL,
  QUERY_SUCCESS,
  QUERY_TYPES,
  QUERY_UNTIMED,
  RUNTIME_EVENT_LOOP_DELAY_P99,
  RUNTIME_GC,
  RUNTIME_RSS_BYTES,
  TRANSACTION_COMMIT,
  TRANSACTION_ROLLBACK,
  USAGE_BYTES,
  tagCode,
  tagDetail,
  tagKind,
} from '../src/contract/codes.js';
import { AUX, KEY, MAX_RECORD_VALUE, RECORD_FLOATS, RECORD_WORDS, TAG, TENANT, VALUE_FLOAT } from '../src/contract/ring-layout.js';
import { OVERFLOW_ID, SYSTEM_ID, TENANT_ID_BASE } from '../src/contract/strings-layout.js';
import { HTTP_METHODS } from '../src/contract/http-methods.js';
import type { Dictionary } from './dictionary.js';

/** QUERY detail bits the main thread writes: the flags (bits 0-2) and the query type (bits 4-7). */
const QUERY_FLAGS = QUERY_SUCCESS | QUERY_KEY_IS_SQL | QUERY_UNTIMED;
/** Largest SQLSTATE class code (sqlstate.ts: 1 + 36 × 36 − 1). */
const MAX_SQLSTATE_CLASS = 36 * 36;

/**
 * Whether the worker can use a record: its kind and codes are ones the main thread writes, every id it names
 * resolves (a tenant slot that exists and was written, a table entry whose text can be the label it is used as),
 * its tenant belongs to this shard, and its value is finite, non-negative and at most MAX_RECORD_VALUE.
 *
 * The shard asks before any aggregator sees a record, from the ring and the overflow alike; a record that fails is
 * skipped and counted as undecodable (`ringmeter.records.dropped{reason="undecodable"}`). Deciding here, at drain
 * time, is the point: a record naming an id nothing can resolve used to be aggregated and then throw at the next
 * export, render or analytics read, which killed the worker and every tenant's unexported data with it, and the
 * replacement met the same series again. ringmeter's own writers never write such a record (the main thread
 * publishes a label before any record naming it); one means a bug, a torn slot or a layout mismatch.
 *
 * Cost per record: comparisons and typed-array reads; the dictionary syncs with the table only for an id beyond
 * what it has decoded.
 */
export class RecordCheck {
  constructor(
    private readonly dictionary: Dictionary,
    private readonly shard: number,
    private readonly shards: number,
  ) {}

  usable(words: Uint32Array, floats: Float64Array, slot: number): boolean {
    const at = slot * RECORD_WORDS;
    const tag = words[at + TAG];
    const detail = tagDetail(tag);
    const code = tagCode(tag);
    const value = floats[slot * RECORD_FLOATS + VALUE_FLOAT];
    const dictionary = this.dictionary;
    // NaN fails both comparisons.
    if (!(value >= 0 && value <= MAX_RECORD_VALUE)) return false;
    switch (tagKind(tag)) {
      case KIND_HTTP:
        return (
          detail < HTTP_METHODS.length &&
          code >= 100 &&
          code <= 999 &&
          dictionary.isEndpoint(words[at + KEY]) &&
          this.ownTenant(words[at + TENANT])
        );
      case KIND_QUERY:
        return (
          (detail & ~QUERY_FLAGS & 0x0f) === 0 &&
          detail >>> 4 < QUERY_TYPES.length &&
          code <= MAX_SQLSTATE_CLASS &&
          ((detail & QUERY_KEY_IS_SQL) !== 0 ? dictionary.isEntry(words[at + KEY]) : dictionary.isLabel(words[at + KEY])) &&
          dictionary.isLabel(words[at + AUX]) &&
          this.ownTenant(words[at + TENANT])
        );
      case KIND_TRANSACTION:
        return (
          (detail === TRANSACTION_COMMIT || detail === TRANSACTION_ROLLBACK) &&
          code <= 1 &&
          dictionary.isLabel(words[at + AUX]) &&
          this.ownTenant(words[at + TENANT])
        );
      case KIND_TENANT_USAGE:
        return (
          (detail & ~USAGE_BYTES) === 0 &&
          code === 0 &&
          dictionary.isLabel(words[at + KEY]) &&
          dictionary.isLabel(words[at + AUX]) &&
          this.ownTenant(words[at + TENANT])
        );
      case KIND_RUNTIME:
        // The main thread's samples carry the `system` tenant (runtime-sampler.ts writes them all to shard 0); any
        // other tenant word would reach the tenant admission with an id that names no tenant.
        return (
          words[at + TENANT] === SYSTEM_ID &&
          detail >= RUNTIME_RSS_BYTES &&
          detail <= RUNTIME_EVENT_LOOP_DELAY_P99 &&
          (detail === RUNTIME_GC ? code < GC_TYPES.length : code === 0)
        );
      default:
        return false;
    }
  }

  /**
   * A written tenant slot, or an entry of the table that can be a label (the main thread writes only the
   * pseudo-tenants' there, UNKNOWN_ID to SYSTEM_ID; tests that drive a shard in-process name tenants by table
   * entries too), of this shard: records are sharded by tenant id (src/engine/record-writer.ts), and a tenant's series must have
   * one writer.
   */
  private ownTenant(tenant: number): boolean {
    // `__overflow__` is every shard's: the main thread's fold sends a shard's records there when its fold block is at
    // its series bound (src/ring/spill.ts), as this shard's own admission does; each shard's series carry its number.
    if (this.shards > 1 && tenant % this.shards !== this.shard && tenant !== OVERFLOW_ID) return false;
    return tenant >= TENANT_ID_BASE ? this.dictionary.isTenantSlot(tenant - TENANT_ID_BASE) : this.dictionary.isLabel(tenant);
  }
}
