import { A, AUX, B, RECORD_WORDS, TAG, TENANT } from './ring-layout.js';
import { TENANT_ID_BASE } from './strings-layout.js';

/**
 * How both threads read and write the fields of a record that do not map one to one onto a word: an HTTP record's
 * two byte counts of up to 48 bits, and the tenant word's slot. The TAG word's fields are in codes.ts (`tag`,
 * `tagKind`, `tagDetail`, `tagCode`). Written once here, so that the writer's split and the reader's join cannot
 * disagree (test/record-codec.test.ts round-trips them).
 */

const TWO_TO_32 = 2 ** 32;

/**
 * An HTTP record's AUX word for these byte counts: their bits 32-47, the request's in AUX bits 0-15 and the
 * response's in bits 16-31 (A and B hold the low 32 bits). 0 when both fit in 32 bits, the common case.
 */
export function byteCountsAux(requestBytes: number, responseBytes: number): number {
  if (requestBytes < TWO_TO_32 && responseBytes < TWO_TO_32) return 0;
  return (Math.floor(requestBytes / TWO_TO_32) | (Math.floor(responseBytes / TWO_TO_32) << 16)) >>> 0;
}

/** An HTTP record's request byte count (A and AUX bits 0-15); `slot` is the record's slot in `words`. */
export function requestBytesOf(words: Uint32Array, slot: number): number {
  const at = slot * RECORD_WORDS;
  const aux = words[at + AUX];
  return aux === 0 ? words[at + A] : words[at + A] + (aux & 0xffff) * TWO_TO_32;
}

/** An HTTP record's response byte count (B and AUX bits 16-31). */
export function responseBytesOf(words: Uint32Array, slot: number): number {
  const at = slot * RECORD_WORDS;
  const aux = words[at + AUX];
  return aux === 0 ? words[at + B] : words[at + B] + (aux >>> 16) * TWO_TO_32;
}

/** The TAG word of the record in `slot`. */
export function tagOf(words: Uint32Array, slot: number): number {
  return words[slot * RECORD_WORDS + TAG];
}

/** The TENANT word of the record in `slot`: the tenant id the main thread stamped it with. */
export function tenantOf(words: Uint32Array, slot: number): number {
  return words[slot * RECORD_WORDS + TENANT];
}

/** The reusable slot of a client-chosen tenant id (tenant-slots.ts), or a negative number for a built-in id. */
export function tenantSlotOf(tenantId: number): number {
  return tenantId - TENANT_ID_BASE;
}
