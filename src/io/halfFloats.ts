// 16-bit floats as safetensors stores them (F16: IEEE-754 binary16; BF16: the top half of a
// binary32), converted to and from float32 bit patterns. Widening is exact; narrowing rounds to
// nearest, ties to even, and overflows to ±Infinity, as IEEE-754, NumPy's float16 and PyTorch do.

const F32_EXPONENT_BIAS = 127;
const F16_EXPONENT_BIAS = 15;
const F16_MANTISSA_BITS = 10;
const MANTISSA_GAP = 23 - F16_MANTISSA_BITS;

/** float16 bit patterns → float32 values, exactly (every binary16 value is a binary32 value). */
export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) {
    const half = halves[i];
    const sign = (half & 0x8000) << 16;
    const exponent = (half >>> F16_MANTISSA_BITS) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0x1f) bits[i] = sign | 0x7f800000 | (mantissa << MANTISSA_GAP); // ±Inf, NaN keeping its payload
    else if (exponent !== 0) bits[i] = sign | ((exponent - F16_EXPONENT_BIAS + F32_EXPONENT_BIAS) << 23) | (mantissa << MANTISSA_GAP);
    else if (mantissa === 0) bits[i] = sign; // ±0
    else out[i] = (sign ? -mantissa : mantissa) * 2 ** -24; // subnormal: mantissa units of 2^-24, exact in float32
  }
  return out;
}

/** float32 values → float16 bit patterns, rounded to nearest even; beyond 65504 (by half an ulp) is ±Infinity. */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const word = bits[i];
    const sign = (word >>> 16) & 0x8000;
    const exponent = (word >>> 23) & 0xff;
    const mantissa = word & 0x7fffff;
    if (exponent === 0xff) {
      // NaN stays NaN (quiet, payload's top bits kept); Infinity stays Infinity.
      out[i] = sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> MANTISSA_GAP));
      continue;
    }
    const halfExponent = exponent - F32_EXPONENT_BIAS + F16_EXPONENT_BIAS;
    if (halfExponent >= 0x1f) out[i] = sign | 0x7c00;
    else if (halfExponent > 0) {
      // A carry out of the mantissa moves into the exponent, up to 0x7c00 (Infinity): the encoding is ordered.
      out[i] = sign | roundShift((halfExponent << F16_MANTISSA_BITS << MANTISSA_GAP) | mantissa, MANTISSA_GAP);
    } else if (halfExponent >= -F16_MANTISSA_BITS) {
      // Subnormal (or rounding up to the smallest normal): the implicit 1 joins the mantissa.
      out[i] = sign | roundShift(mantissa | 0x800000, MANTISSA_GAP + 1 - halfExponent);
    } else {
      out[i] = sign; // below half the smallest subnormal (2^-25): rounds to ±0
    }
  }
  return out;
}

/** bfloat16 bit patterns → float32 values, exactly (bfloat16 is a float32 with its low 16 bits zero). */
export function bfloat16ToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  return out;
}

/** float32 values → bfloat16 bit patterns, rounded to nearest even (as PyTorch's .to(torch.bfloat16)). */
export function float32ToBfloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const word = bits[i];
    const isNaN = (word & 0x7f800000) === 0x7f800000 && (word & 0x7fffff) !== 0;
    // Rounding could carry a NaN's payload into Infinity: keep it a (quiet) NaN instead.
    out[i] = isNaN ? (word >>> 16) | 0x40 : roundShift(word, 16);
  }
  return out;
}

/** `value >> shift` rounded to nearest, ties to even (value < 2^32, shift ≥ 1). */
function roundShift(value: number, shift: number): number {
  const quotient = Math.floor(value / 2 ** shift);
  const remainder = value - quotient * 2 ** shift;
  const half = 2 ** (shift - 1);
  return remainder > half || (remainder === half && quotient % 2 === 1) ? quotient + 1 : quotient;
}
