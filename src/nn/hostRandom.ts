// Seedable host-side randomness (fit's shuffles, the orthogonal initializer's matrix), seeded from
// webgrad's generator so setSeed reproduces it; the GPU generator serves tensors.
import { hostRandomSeed } from '../ops/random';

/** Mulberry32: a small, fast, well-mixed 32-bit generator of uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniforms in [0, 1) from a seed drawn from webgrad's generator. */
export function seededUniforms(): () => number {
  return mulberry32(hostRandomSeed());
}
