// Mulberry32, a small seeded generator of uniforms in [0, 1): the demos' own fixed sampling (the
// pairs demo's pairs, the text demo's windows and samples), scripts/prepare-mnist.mjs's fixed
// shuffle of the digits and the benchmark's seeded inputs (bench/inputs.js). The library's
// host-side generator (src/nn/hostRandom.ts) is the same algorithm.
// @ts-check

/**
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
