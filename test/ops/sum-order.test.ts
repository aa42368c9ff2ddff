// The order in which a sum adds its terms, bit for bit: shaders/reduce.wgsl walks each output's
// reduced elements in row-major order in chunks of 1,024, adds them into a block of 8, full blocks
// into a block of 64, those into the chunk's total (total + (block64 + block8) at the end), and a
// later pass sums the chunks' partials by the same rule. The reference replays exactly that in
// float32 (Math.fround after every add), so any change of order (a faster loop that regroups the
// adds, rows whose length is no multiple of 8) shows as a differing bit.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32 } from '../reference';

const gpu = useGpuPage();
const CHUNK = 1024;

/** The kernel's blocked sum of `terms` in float32. */
function blockedSum(terms: readonly number[]): number {
  let block8 = 0;
  let block64 = 0;
  let total = 0;
  terms.forEach((term, k) => {
    block8 = Math.fround(block8 + term);
    if ((k + 1) % 8 === 0) {
      block64 = Math.fround(block64 + block8);
      block8 = 0;
      if ((k + 1) % 64 === 0) {
        total = Math.fround(total + block64);
        block64 = 0;
      }
    }
  });
  return Math.fround(total + Math.fround(block64 + block8));
}

/** Chunks of 1,024 summed, then their partials, until one value is left. */
function passes(terms: readonly number[]): number {
  let values = terms;
  do {
    const partials: number[] = [];
    for (let start = 0; start < Math.max(values.length, 1); start += CHUNK) partials.push(blockedSum(values.slice(start, start + CHUNK)));
    values = partials;
  } while (values.length > 1);
  return values[0];
}

/** sum(x, axes) of a row-major x: each kept element's terms in row-major order over the reduced axes. */
function referenceSum(values: readonly number[], shape: readonly number[], axes: readonly number[]): number[] {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const reduced = [...axes].sort((a, b) => a - b);
  const count = (dims: number[]): number => dims.reduce((n, d) => n * shape[d], 1);
  const offsetOf = (index: number, dims: number[]): number => {
    let offset = 0;
    for (let k = dims.length - 1; k >= 0; k--) {
      offset += (index % shape[dims[k]]) * strides[dims[k]];
      index = Math.floor(index / shape[dims[k]]);
    }
    return offset;
  };
  return Array.from({ length: count(kept) }, (_, o) => passes(Array.from({ length: count(reduced) }, (_, r) => values[offsetOf(o, kept) + offsetOf(r, reduced)])));
}

describe('sum order', () => {
  it('matches the blocked order bit for bit: rows of 5, 13 and 256, column sums, several chunks', async () => {
    const cases = [
      { shape: [5], axes: [0] },
      { shape: [1000], axes: [0] },
      { shape: [3, 5, 13], axes: [0, 2] },
      { shape: [256, 64], axes: [0] },
      { shape: [7, 37], axes: [1] },
      { shape: [2500], axes: [0] },
      { shape: [3, 1100], axes: [1] },
    ];
    const rng = mulberry32(20261206);
    // Terms of mixed magnitudes, so regrouping any two adds changes some result's low bits.
    const inputs = cases.map(({ shape }) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.fround((rng() - 0.3) * 10 ** Math.floor(rng() * 4))));
    const sums = await gpu.run(async (wg, { cases, inputs }) => {
      const out: number[][] = [];
      for (const [k, { shape, axes }] of cases.entries()) {
        const x = wg.tensor(inputs[k], shape);
        const s = wg.sum(x, axes);
        out.push(Array.from(await s.data()));
        x.dispose();
        s.dispose();
      }
      return out;
    }, { cases, inputs });
    cases.forEach(({ shape, axes }, k) => expect(sums[k], `sum over ${axes} of [${shape}]`).toEqual(referenceSum(inputs[k], shape, axes)));
  });
});
