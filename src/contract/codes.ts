import { constants } from 'node:perf_hooks';

/**
 * What the numbers in a record mean: record kinds, the TAG word's fields, per-kind flags and every code table
 * both threads depend on. The main thread encodes with these and the worker decodes with the same ones, so
 * reordering a table cannot mislabel one side only (test/ring-codes.test.ts round-trips each).
 */

/** Record kinds (TAG bits 0-7). Zero is never written, so a zeroed slot is recognisably not a record. */
export const KIND_HTTP = 1;
export const KIND_QUERY = 2;
export const KIND_TRANSACTION = 3;
export const KIND_TENANT_USAGE = 4;
export const KIND_RUNTIME = 5;

/*
 * Per-kind meaning of detail, code, AUX, A and B:
 *
 * HTTP         detail = method id, code = status code, KEY = endpoint id, VALUE = duration (s),
 *              A / B = request / response bytes (low 32 bits), AUX = their high 16 bits (B's in AUX bits 16-31).
 * QUERY        detail = QUERY_* flags | query type << 4, code = SQLSTATE class code (0 when none),
 *              KEY = SQL text id (QUERY_KEY_IS_SQL) or table id, AUX = database id, VALUE = duration (s),
 *              A = connections the client had in use once this query started (its queries in flight outside
 *              transactions, plus transactions in progress and reserved connections; may exceed B while queries
 *              queue), B = the client's connection limit (its max); A = B = 0 when unknown (no pool gauges).
 * TRANSACTION  detail = TRANSACTION_COMMIT | TRANSACTION_ROLLBACK, code = 1 for a savepoint, AUX = database id.
 * TENANT_USAGE detail = USAGE_BYTES when the data type is 'bytes', KEY = resource type id, AUX = data type id,
 *              VALUE = usage.
 * RUNTIME      detail = RUNTIME_* sample, code = GC kind (RUNTIME_GC only), VALUE = the sample.
 */
export const QUERY_SUCCESS = 1;
/** Where the query type sits in a QUERY record's detail (bits 4-7), when KEY is a table rather than a SQL text. */
export const QUERY_TYPE_SHIFT = 4;
export const QUERY_KEY_IS_SQL = 2;
/**
 * Set by the Drizzle logger hook, which sees a query before it runs: counted (success unknown, QUERY_SUCCESS is
 * ignored), never timed, no pool gauges.
 */
export const QUERY_UNTIMED = 4;
/**
 * TENANT_USAGE: the caller's data type is 'bytes', so the usage is a byte count that also feeds
 * tenant_data_processed_bytes{data_type=<resource type>}. Decided once on the main thread, so the worker never
 * compares strings per record.
 */
export const USAGE_BYTES = 1;
/** The data type that makes a recordTenantResource usage a byte count (USAGE_BYTES). */
export const BYTES_DATA_TYPE = 'bytes';
/** Resource types that tenant_data_processed_bytes already uses for HTTP bodies: refused with dataType 'bytes'. */
export const HTTP_BODY_DATA_TYPES: readonly string[] = ['request', 'response'];
export const TRANSACTION_COMMIT = 1;
export const TRANSACTION_ROLLBACK = 2;

/** Runtime samples of the main thread (RUNTIME detail). */
export const RUNTIME_RSS_BYTES = 1;
export const RUNTIME_HEAP_USED_BYTES = 2;
export const RUNTIME_HEAP_TOTAL_BYTES = 3;
export const RUNTIME_EXTERNAL_BYTES = 4;
export const RUNTIME_PROCESS_CPU_PERCENT = 5;
export const RUNTIME_THREAD_CPU_PERCENT = 6;
export const RUNTIME_GC = 7;
/** Event-loop delay of the main thread over the sample interval (a 10 ms probe, runtime/loop-delay.ts), in seconds. */
export const RUNTIME_EVENT_LOOP_DELAY_P50 = 8;
export const RUNTIME_EVENT_LOOP_DELAY_P99 = 9;

/** Query types (QUERY detail bits 4-7): the id is the index. */
export const QUERY_TYPES = ['OTHER', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

/** The id of a query type; -1 for anything that is not one (a caller's typo reaches here at run time). */
export function queryTypeId(type: unknown): number {
  return QUERY_TYPES.indexOf(type as QueryType);
}

/** GC kinds (RUNTIME_GC code): the id is the index, 0 for a kind Node may add later. */
export const GC_TYPES = ['unknown', 'minor', 'major', 'incremental', 'weakcb'] as const;

const GC_TYPE_IDS: Record<number, number> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: GC_TYPES.indexOf('minor'),
  [constants.NODE_PERFORMANCE_GC_MAJOR]: GC_TYPES.indexOf('major'),
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: GC_TYPES.indexOf('incremental'),
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: GC_TYPES.indexOf('weakcb'),
};

/** The ring code of a `PerformanceEntry`'s GC kind (perf_hooks constants). */
export function gcTypeId(kind: number): number {
  return GC_TYPE_IDS[kind] ?? 0;
}

export function gcTypeName(id: number): (typeof GC_TYPES)[number] {
  return GC_TYPES[id] ?? 'unknown';
}

/** Packs TAG. */
export function tag(kind: number, detail: number, code: number): number {
  return (kind | (detail << 8) | (code << 16)) >>> 0;
}

export function tagKind(tagWord: number): number {
  return tagWord & 0xff;
}

export function tagDetail(tagWord: number): number {
  return (tagWord >>> 8) & 0xff;
}

export function tagCode(tagWord: number): number {
  return tagWord >>> 16;
}

/** TAG's kind and detail without its code (an HTTP record: the kind and the method, not the status). */
export function tagWithoutCode(tagWord: number): number {
  return tagWord & 0xffff;
}
