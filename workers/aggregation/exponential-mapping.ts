/**
 * The base-2 exponential bucket mapping of the OpenTelemetry data model (metrics/data-model.md, "Exponential
 * Buckets"): at scale s, bucket `index` holds the values v with base^index < v ≤ base^(index + 1), base = 2^(2^-s).
 *
 * It reproduces the index the OpenTelemetry JS SDK (sdk-metrics 2.x) computes, bit for bit, so that a ringmeter
 * exponential histogram has the same scale, offset and bucket counts as the SDK's for the same values (a test feeds
 * both): scales ≤ 0 read the IEEE 754 exponent; scales > 0 take floor(ln(v) · log2(e) · 2^s), the same expression in
 * the same order as the SDK, because a different but equally valid formula would disagree with it for values that
 * sit within rounding of a boundary. Exact powers of two belong to the bucket below them (upper-inclusive buckets).
 *
 * Only positive finite values are mapped here: the histogram store keeps zero in its zero bucket and refuses the rest.
 */

/** The finest and coarsest scales the mapping supports (the specification's default MaxScale is 20). */
export const MAX_SCALE = 20;
export const MIN_SCALE = -10;

const EXPONENT_BIAS = 1023;
const MIN_NORMAL_EXPONENT = 1 - EXPONENT_BIAS;
const MAX_NORMAL_EXPONENT = EXPONENT_BIAS;
const MIN_NORMAL_VALUE = 2 ** MIN_NORMAL_EXPONENT;

// One shared 8-byte view of a float64's bits: the mapping runs on one thread and reads it back at once.
const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);
float[0] = 1;
/** Which 32-bit word holds the sign, exponent and top of the significand (1 on little-endian machines). */
const HIGH = words[1] === 0x3ff00000 ? 1 : 0;
const LOW = 1 - HIGH;

/** log2(e) · 2^scale for each scale > 0, as the SDK computes it (a power-of-two multiple, so exact). */
const LOG_FACTORS = Array.from({ length: MAX_SCALE + 1 }, (_, scale) => Math.LOG2E * 2 ** scale);

/**
 * The bucket index of a positive finite `value` at `scale` (MIN_SCALE ≤ scale ≤ MAX_SCALE). A subnormal value
 * counts as the smallest normal one, which the specification allows and the SDK does.
 */
export function bucketIndex(value: number, scale: number): number {
  const v = Math.max(value, MIN_NORMAL_VALUE);
  float[0] = v;
  const high = words[HIGH];
  const exponent = ((high >>> 20) & 0x7ff) - EXPONENT_BIAS;
  const powerOfTwo = (high & 0xfffff) === 0 && words[LOW] === 0;
  if (scale <= 0) return (powerOfTwo ? exponent - 1 : exponent) >> -scale;
  if (powerOfTwo) return (exponent << scale) - 1;
  const index = Math.floor(Math.log(v) * LOG_FACTORS[scale]);
  // ln of a value just below 2^1024 rounds up to the next bucket, past the last one a float64 can reach.
  const highest = ((MAX_NORMAL_EXPONENT + 1) << scale) - 1;
  return Math.min(index, highest);
}

/** The lower boundary (exclusive) of bucket `index` at `scale`: base^index. For reading histograms, not recording. */
export function lowerBoundary(index: number, scale: number): number {
  return scale <= 0 ? 2 ** (index * 2 ** -scale) : 2 ** (index / 2 ** scale);
}

/**
 * How many halvings of the scale make bucket indexes `low` and `high` fit into `maxSize` buckets: the SDK's rule
 * (shift both ends right until high − low < maxSize), which perfect subsetting makes exact: at scale s − 1, bucket
 * i of scale s becomes bucket i >> 1.
 */
export function scaleReduction(low: number, high: number, maxSize: number): number {
  let change = 0;
  while (high - low >= maxSize) {
    high >>= 1;
    low >>= 1;
    change++;
  }
  return change;
}
