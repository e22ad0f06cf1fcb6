/**
 * Milliseconds since the epoch as OTLP's fixed64 nanoseconds, without BigInt or an HrTime array per data point.
 * A float64 holds ms · 10^6 exactly only up to 2^53 ns (1970 + 104 days), so the product is built in two 32-bit
 * words from parts small enough to be exact. Fractions of a millisecond are kept to the microsecond.
 *
 * A time that is not a finite number ≥ 0 (a caller's bug) is written as 0, OTLP's "unknown", rather than as text or
 * bytes that would make the backend refuse the whole request.
 */

const TWO_26 = 67_108_864;
const TWO_32 = 4_294_967_296;
/** Past this (the year 2554) nanoseconds no longer fit in 64 bits. */
const MAX_MILLIS = 18_446_744_073_709;

/** A time's nanoseconds as the two 32-bit words of a little-endian fixed64. */
export interface NanoWords {
  low: number;
  high: number;
}

/** Sets `into` to `millis` · 10^6 (rounded to whole microseconds). */
export function toNanoWords(millis: number, into: NanoWords): void {
  const micros = millis >= 0 && millis < MAX_MILLIS ? Math.round(millis * 1_000) : 0;
  // nanos = micros · 1000 = a · 1000 · 2^26 + b · 1000, with a · 1000 < 2^37 and b · 1000 < 2^36: both exact.
  const a = Math.floor(micros / TWO_26);
  const upper = a * 1_000;
  const lowPart = (upper % 64) * TWO_26 + (micros - a * TWO_26) * 1_000;
  const low = lowPart % TWO_32;
  into.low = low;
  into.high = Math.floor(upper / 64) + (lowPart - low) / TWO_32;
}

/** `millis` · 10^6 as a decimal string: the protobuf JSON mapping writes 64-bit integers as strings. */
export function toNanoDecimal(millis: number): string {
  if (!(millis >= 0 && millis < MAX_MILLIS)) return '0';
  if (Number.isInteger(millis)) return millis === 0 ? '0' : `${millis}000000`;
  const micros = Math.round(millis * 1_000);
  return micros === 0 ? '0' : `${micros}000`;
}
