// 16-bit float formats decoded from their definitions, in float64: IEEE-754 binary16 (1 sign bit,
// 5 exponent bits with bias 15, 10 mantissa bits) and bfloat16 (1 sign, 8 exponent bits with bias
// 127, 7 mantissa bits). Exponent all zeros: subnormal, (m / 2^mantissaBits) · 2^(1 − bias);
// all ones: ±Infinity when m = 0, else NaN; otherwise (1 + m / 2^mantissaBits) · 2^(e − bias).

export interface HalfFormat { name: 'F16' | 'BF16'; exponentBits: number; mantissaBits: number }

export const FLOAT16: HalfFormat = { name: 'F16', exponentBits: 5, mantissaBits: 10 };
export const BFLOAT16: HalfFormat = { name: 'BF16', exponentBits: 8, mantissaBits: 7 };

export function decodeHalf(format: HalfFormat, bits: number): number {
  const { exponentBits, mantissaBits } = format;
  const sign = bits >> (exponentBits + mantissaBits) & 1 ? -1 : 1;
  const exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
  const mantissa = bits & ((1 << mantissaBits) - 1);
  const bias = (1 << (exponentBits - 1)) - 1;
  if (exponent === (1 << exponentBits) - 1) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * (mantissa / 2 ** mantissaBits) * 2 ** (1 - bias);
  return sign * (1 + mantissa / 2 ** mantissaBits) * 2 ** (exponent - bias);
}

/** The largest finite value and the value one step past it (where rounding overflows to Infinity). */
export function halfLimits(format: HalfFormat): { maxFinite: number; pastMax: number } {
  const bias = (1 << (format.exponentBits - 1)) - 1;
  const maxFinite = (2 - 2 ** -format.mantissaBits) * 2 ** bias;
  return { maxFinite, pastMax: 2 ** (bias + 1) };
}

/**
 * The bit pattern nearest to `value` (a float64), ties to the even pattern, found by bisecting the
 * non-negative patterns (their order is their values' order). Past the largest finite value the
 * next step would be 2^(bias+1), whose pattern is Infinity's: so IEEE's overflow rule follows.
 */
export function roundToHalf(format: HalfFormat, value: number): number {
  const signBit = 1 << (format.exponentBits + format.mantissaBits);
  const infinity = ((1 << format.exponentBits) - 1) << format.mantissaBits;
  if (Number.isNaN(value)) return infinity | (1 << (format.mantissaBits - 1));
  const sign = value < 0 || Object.is(value, -0) ? signBit : 0;
  const magnitude = Math.abs(value);
  const at = (pattern: number) => (pattern === infinity ? halfLimits(format).pastMax : decodeHalf(format, pattern));
  if (magnitude >= halfLimits(format).pastMax) return sign | infinity;
  let low = 0;
  let high = infinity; // at(low) ≤ magnitude < at(high)
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (at(middle) <= magnitude) low = middle;
    else high = middle;
  }
  const below = magnitude - at(low);
  const above = at(high) - magnitude;
  return sign | (below < above || (below === above && low % 2 === 0) ? low : high);
}
