// Checks for sums computed in float32: each element against a bound that scales with the number of
// terms summed and with the sum of their magnitudes (the reference run on absolute values), so an
// exact zero must come out exactly zero and an index mistake fails by orders of magnitude.
import { expect } from 'vitest';
import * as ref from '../reference';

const FLOAT32_EPSILON = 2 ** -23;
const SAFETY = 4;

/** The array with every value rounded to float32, so the GPU and the reference see the same inputs. */
export const float32 = (x: ref.NdArray): ref.NdArray => ({ shape: x.shape, data: Float64Array.from(Float32Array.from(x.data)) });

export const absolute = (x: ref.NdArray): ref.NdArray => ref.unary(x, Math.abs);

/**
 * Checks each element against SAFETY·sqrt(terms)·2^-23·scale (scale: the same sum over |values|):
 * random rounding of a K-term float32 sum stays within about sqrt(K)·2^-23·Σ|terms|.
 */
export function expectWithinRounding(actual: ArrayLike<number>, expected: ref.NdArray, scale: ref.NdArray, terms: number, label: string): void {
  expect(actual.length, `${label}: element count`).toBe(expected.data.length);
  const perUnitScale = SAFETY * Math.sqrt(Math.max(terms, 1)) * FLOAT32_EPSILON;
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i] - expected.data[i]);
    const allowed = perUnitScale * scale.data[i];
    if (!(error <= allowed)) {
      throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${expected.data[i]} (error ${error}, allowed ${allowed})`);
    }
  }
}
