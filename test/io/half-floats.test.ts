// F16 and BF16 safetensors: widening every one of the 65,536 bit patterns of each format against
// a float64 decoding of the IEEE-754 bit fields (test/reference/halfFloats.ts), and narrowing
// against the nearest-pattern search there (ties to even, overflow to Infinity), on the cases
// where rounding can go wrong: each midpoint between neighbours and one float32 step either side,
// the largest finite value, overflow, subnormals, ±0, NaN. Pure Node: no browser.
import { describe, expect, it } from 'vitest';
import { ModelFormatError, ValueError } from '../../src/errors';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from '../../src/io/halfFloats';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors';
import { BFLOAT16, FLOAT16, decodeHalf, halfLimits, roundToHalf, type HalfFormat } from '../reference/halfFloats';
import { editHeader, entry, joinFile } from './file-edits';

const FORMATS: [HalfFormat, (bits: Uint16Array) => Float32Array, (values: Float32Array) => Uint16Array][] = [
  [FLOAT16, float16ToFloat32, float32ToFloat16],
  [BFLOAT16, bfloat16ToFloat32, float32ToBfloat16],
];

/** A safetensors file of one 16-bit tensor, written by hand from the format description. */
function halfFile(dtype: string, bits: Uint16Array, shape = [bits.length]): Uint8Array {
  const header = JSON.stringify({ t: { dtype, shape, data_offsets: [0, bits.byteLength] } });
  const data = new Uint8Array(bits.byteLength);
  const view = new DataView(data.buffer);
  bits.forEach((b, i) => view.setUint16(2 * i, b, true));
  return joinFile(header, data);
}

/** The float32 next to `value` towards +Infinity (direction 1) or −Infinity (−1), for positive finite values. */
function float32Step(value: number, direction: 1 | -1): number {
  const word = new Float32Array([value]);
  new Uint32Array(word.buffer)[0] += direction;
  return word[0];
}

const ALL_PATTERNS = Uint16Array.from({ length: 65536 }, (_, i) => i);

describe.each(FORMATS)('%o', (format, widen, narrow) => {
  it('widens all 65,536 bit patterns exactly, through decodeSafetensors (NaN stays NaN, −0 stays −0)', () => {
    const { arrays } = decodeSafetensors(halfFile(format.name, ALL_PATTERNS, [256, 256]));
    expect(arrays[0]).toMatchObject({ name: 't', dtype: format.name, shape: [256, 256] });
    const values = arrays[0].data;
    expect(values).toBeInstanceOf(Float32Array);
    const wrong = Array.from(ALL_PATTERNS).filter((bits) => {
      const expected = decodeHalf(format, bits);
      return Number.isNaN(expected) ? !Number.isNaN(values[bits]) : !Object.is(values[bits], expected);
    });
    expect(wrong).toEqual([]);
    const direct = widen(ALL_PATTERNS);
    expect(Array.from(ALL_PATTERNS).filter((bits) => !Object.is(direct[bits], values[bits]) && !Number.isNaN(values[bits]))).toEqual([]);
  });

  it('narrows every representable value to itself and every midpoint to the even neighbour, one float32 step off to the nearer', () => {
    const infinity = ((1 << format.exponentBits) - 1) << format.mantissaBits;
    const values: number[] = [];
    for (let bits = 0; bits < infinity; bits++) {
      const low = decodeHalf(format, bits);
      const high = bits + 1 === infinity ? halfLimits(format).pastMax : decodeHalf(format, bits + 1);
      const middle = (low + high) / 2; // exact in float32: one bit more than the half format holds
      values.push(low, middle, float32Step(middle, 1), float32Step(middle, -1));
    }
    const inputs = Float32Array.from([...values, ...values.map((v) => -v)]);
    expect(values.filter((v, i) => inputs[i] !== v)).toEqual([]); // every case is exactly a float32
    const got = narrow(inputs);
    const wrong = Array.from(inputs).map((v, i) => [v, got[i], roundToHalf(format, v)]).filter(([, g, e]) => g !== e);
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('narrows the edges: largest finite, overflow to ±Infinity, subnormals, ±0, NaN', () => {
    const { maxFinite, pastMax } = halfLimits(format);
    const tiny = decodeHalf(format, 1); // the smallest subnormal
    const edges = [
      maxFinite, (maxFinite + pastMax) / 2, float32Step((maxFinite + pastMax) / 2, -1), pastMax, 3.4e38, Infinity, -Infinity,
      tiny, tiny / 2, float32Step(tiny / 2, 1), float32Step(tiny / 2, -1), tiny * 1.5, tiny * 2.5, 0, -0, 1, 1 / 3, Math.PI, -65519, 65520,
    ];
    const got = narrow(Float32Array.from(edges));
    edges.forEach((value, i) => expect([value, got[i]]).toEqual([value, roundToHalf(format, Math.fround(value))]));
    // Named outcomes, from the definitions: the tie above the largest finite value goes to the even
    // neighbour 2^(bias+1), which is Infinity's pattern; half the smallest subnormal ties to +0.
    const infinity = ((1 << format.exponentBits) - 1) << format.mantissaBits;
    expect([got[0], got[1], got[2], got[5], got[7], got[8], got[9], got[14]]).toEqual([infinity - 1, infinity, infinity - 1, infinity, 1, 0, 1, 1 << (format.exponentBits + format.mantissaBits)]);
    const nan = narrow(Float32Array.from([NaN, -NaN]))[0];
    expect(Number.isNaN(decodeHalf(format, nan))).toBe(true);
  });

  it('encodeSafetensors writes the narrowed patterns, and decodeSafetensors reads back their float32 values', () => {
    const values = Float32Array.from([1 / 3, -2.5e-6, 70000, -0, 1e-9, 3.14159]);
    const bytes = new Uint8Array(encodeSafetensors([{ name: 'w', dtype: format.name, shape: [2, 3], data: values }]));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)))).toEqual({ w: { dtype: format.name, shape: [2, 3], data_offsets: [0, 12] } });
    const view = new DataView(bytes.buffer, 8 + headerLength);
    const written = Array.from(values, (_, i) => view.getUint16(2 * i, true));
    expect(written).toEqual(Array.from(values, (v) => roundToHalf(format, v)));
    const read = decodeSafetensors(bytes).arrays[0];
    expect(read.dtype).toBe(format.name);
    expect(Array.from(read.data)).toEqual(written.map((bits) => decodeHalf(format, bits)));
  });

  it('a file whose byte range does not fit the 16-bit dtype, or odd data, is a ModelFormatError', () => {
    const good = halfFile(format.name, Uint16Array.from([1, 2, 3, 4]), [2, 2]);
    const asFloat32Length = editHeader(good, (h) => { entry(h, 't').shape = [4, 2]; });
    expect(() => decodeSafetensors(asFloat32Length)).toThrow(ModelFormatError);
    expect(() => decodeSafetensors(asFloat32Length)).toThrow(new RegExp(`tensor 't' has byte range \\[0, 8\\) of 8 bytes, but ${format.name} \\[4,2\\] takes 16`));
    const odd = editHeader(good, (h) => { entry(h, 't').data_offsets = [0, 7]; entry(h, 't').shape = [3]; });
    expect(() => decodeSafetensors(odd)).toThrow(/has byte range \[0, 7\) of 7 bytes, but .* \[3\] takes 6/);
    expect(() => encodeSafetensors([{ name: 'w', dtype: format.name, shape: [2], data: Int32Array.from([1, 2]) }])).toThrow(ValueError);
    expect(() => encodeSafetensors([{ name: 'w', dtype: format.name, shape: [3], data: Float32Array.from([1, 2]) }])).toThrow(/tensor 'w' has shape \[3\] \(3 elements\) but 2 values/);
  });
});
