// Seeded randomness, so a failing test fails the same way every run.
import { type NdArray, sizeOf } from './ndarray';

/** A function returning uniform floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: a tiny, well-mixed 32-bit PRNG. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform float in [lo, hi). */
export function randomUniform(rng: Rng, lo = -1, hi = 1): number {
  return lo + (hi - lo) * rng();
}

/** A uniform integer in [lo, hi] (both ends included). */
export function randomInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** An array of the given shape with entries uniform in [lo, hi). */
export function randomArray(shape: readonly number[], rng: Rng, lo = -1, hi = 1): NdArray {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = randomUniform(rng, lo, hi);
  return { shape: [...shape], data };
}

/** An array of integers uniform in [lo, hi], e.g. class labels or gather indices. */
export function randomIntArray(shape: readonly number[], rng: Rng, lo: number, hi: number): NdArray {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = randomInt(rng, lo, hi);
  return { shape: [...shape], data };
}

/** A shape of the given rank with each dimension in [minDim, maxDim]. */
export function randomShape(rng: Rng, rank: number, minDim = 1, maxDim = 5): number[] {
  return Array.from({ length: rank }, () => randomInt(rng, minDim, maxDim));
}
