/**
 * The request path's last step: one record into the tenant's shard ring, every argument already an id or a checked
 * number (the record API checks them in collector.ts, ringmeter's own hooks where they measure them). Nothing here
 * allocates, throws or waits: a few stores and one Atomics.store per record (ring/ring-writer.ts).
 */
import {
  KIND_HTTP,
  KIND_QUERY,
  KIND_TENANT_USAGE,
  KIND_TRANSACTION,
  TRANSACTION_COMMIT,
  TRANSACTION_ROLLBACK,
  tag,
  USAGE_BYTES,
} from '../contract/codes.js';
import { MAX_RECORD_BYTES_VALUE } from '../contract/ring-layout.js';
import { EMPTY_ID } from '../contract/strings-layout.js';
import type { RingWriter } from '../ring/ring-writer.js';
import type { Refusals } from './refusals.js';

const TWO_TO_32 = 2 ** 32;

/** A byte count of a record: whole bytes, at most 48 bits (beyond, it saturates). */
function saturatedBytes(bytes: number): number {
  return bytes > MAX_RECORD_BYTES_VALUE ? MAX_RECORD_BYTES_VALUE : Math.floor(bytes);
}

export class RecordWriter {
  constructor(
    /** One ring per shard; a record goes to the ring of its tenant's shard. */
    private readonly rings: readonly RingWriter[],
    private readonly refusals: Refusals,
  ) {}

  /** The HTTP fast path. Byte counts above 48 bits saturate. */
  writeHttp(
    method: number,
    statusCode: number,
    endpoint: number,
    tenant: number,
    seconds: number,
    requestBytes: number,
    responseBytes: number,
  ): void {
    const ring = this.ringOf(tenant);
    const tagWord = tag(KIND_HTTP, method, statusCode);
    // Nearly every request: both counts fit the record's 32-bit words, stored as they are (a Uint32Array store
    // truncates, which floors a non-negative count). Kept this short so that V8 inlines the ring's write into every
    // caller (recordHttp, the middlewares' completion) within its inlining budget (--trace-turbo-inlining).
    if (requestBytes < TWO_TO_32 && responseBytes < TWO_TO_32) {
      ring.write(tagWord, endpoint, tenant, 0, seconds, requestBytes, responseBytes);
      return;
    }
    ring.writeWithByteCounts(tagWord, endpoint, tenant, seconds, saturatedBytes(requestBytes), saturatedBytes(responseBytes));
  }

  /**
   * The query fast path. `detail` holds QUERY_* flags and the query type; `key` a SQL or table id;
   * `sqlStateClass` a code from sqlstate.ts; `inFlight`/`connectionLimit` feed the pool gauges (0 = unknown).
   */
  writeQuery(
    detail: number,
    sqlStateClass: number,
    key: number,
    tenant: number,
    database: number,
    seconds: number,
    inFlight: number,
    connectionLimit: number,
  ): void {
    this.ringOf(tenant).write(tag(KIND_QUERY, detail, sqlStateClass), key, tenant, database, seconds, inFlight, connectionLimit);
  }

  /** A transaction (or, `nested`, a savepoint) that ended. */
  writeTransaction(committed: boolean, nested: boolean, tenant: number, database: number): void {
    this.ringOf(tenant).write(
      tag(KIND_TRANSACTION, committed ? TRANSACTION_COMMIT : TRANSACTION_ROLLBACK, nested ? 1 : 0),
      EMPTY_ID,
      tenant,
      database,
      0,
      0,
      0,
    );
  }

  /** The tenant usage fast path. `bytes`: the data type is 'bytes' (USAGE_BYTES), so the usage also counts as processed bytes. */
  writeUsage(resource: number, tenant: number, dataType: number, usage: number, bytes: boolean): void {
    this.ringOf(tenant).write(tag(KIND_TENANT_USAGE, bytes ? USAGE_BYTES : 0, 0), resource, tenant, dataType, usage, 0, 0);
  }

  /** Counts a refused record; `reason` names the call and the field that was wrong (`recordHttp.statusCode`). */
  reject(reason: string): void {
    // REJECTED lives in shard 0's header only: a refused record has no tenant, so no shard of its own.
    this.rings[0].reject();
    this.refusals.refuse(reason);
  }

  /** Counts a failure inside a hook's own recording (`hook`: honoMetrics, instrumentPostgres…), for stats() and health(). */
  hookFailed(hook: string, error: unknown): void {
    this.refusals.hookFailed(hook, error);
  }

  private ringOf(tenant: number): RingWriter {
    const rings = this.rings;
    return rings.length === 1 ? rings[0] : rings[tenant % rings.length];
  }
}
