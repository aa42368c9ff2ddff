// wg.jit fuses elementwise ops around a reduce pass: the chain computing its input runs where the
// kernel loads each term, the ops reading its result where it stores one (the first and last pass
// of a long reduction). The pass's summation order is unchanged and each op computes its own
// float32 expression, so results are bit-identical to eager; NaN and ±Infinity flow through the
// fused loads and stores as IEEE-754 (and webgrad's NaN rules for max and min) have them.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32, randomArray, randomIntArray } from '../reference';

const gpu = useGpuPage();
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

describe('jit reduction fusion', () => {
  it('sqrt(sum((x − y)², 1) / 7) is one kernel, bit-equal to eager and within float32 bounds of float64', async () => {
    const rng = mulberry32(2601);
    const x = f32(randomArray([5, 7], rng).data);
    const y = f32(randomArray([5, 7], rng).data);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [5, 7]);
      const y = wg.tensor(a.y, [5, 7]);
      const fn = (x: Tensor, y: Tensor) => wg.sqrt(wg.div(wg.sum(wg.square(wg.sub(x, y)), 1), 7));
      const eager = Array.from(await fn(x, y).data());
      const step = wg.jit(fn);
      step(x, y).dispose();
      step(x, y).dispose();
      const compiled = Array.from(await step(x, y).data());
      const report = await wg.profile(() => step(x, y).dispose());
      return { eager, compiled, dispatches: report.dispatches, text: step.describe() };
    }, { x, y });
    expect(out.compiled).toEqual(out.eager);
    expect(out.text).toContain('fused(sub+square+reduce+div+sqrt)');
    expect(out.text).toContain('5 dispatches traced -> 1 per call');
    expect(out.dispatches).toBe(1);
    const reference = [0, 1, 2, 3, 4].map((row) => {
      let total = 0;
      for (let j = 0; j < 7; j++) total += (x[row * 7 + j] - y[row * 7 + j]) ** 2;
      return Math.sqrt(total / 7);
    });
    // A float32 sum of 7 rounded squares (≤ 8 roundings relative to the total), a division and a
    // sqrt (which halves relative error): 2^-20 relative.
    expectClose(out.compiled, reference, { rtol: 2 ** -20, atol: 0 });
  });

  it('a two-pass reduction takes the chain into its first pass and the consumer into its last', async () => {
    const rng = mulberry32(2602);
    const x = f32(randomArray([2, 1500], rng, -4, 4).data);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [2, 1500]);
      const fn = (x: Tensor) => wg.mul(wg.max(wg.abs(x), 1), 0.5);
      const eager = Array.from(await fn(x).data());
      const step = wg.jit(fn);
      step(x).dispose();
      step(x).dispose();
      return { eager, compiled: Array.from(await step(x).data()), text: step.describe() };
    }, { x });
    expect(out.compiled).toEqual(out.eager);
    // 1500 terms are two chunks of ≤ 1024: abs fuses into the first pass, mul into the second.
    expect(out.text).toContain('4 dispatches traced -> 2 per call');
    expect(out.text).toContain('fused(abs+reduce)');
    expect(out.text).toContain('fused(reduce+mul)');
    // max and abs are exact; ·0.5 is exact too.
    const reference = [0, 1].map((row) => Math.max(...x.slice(row * 1500, (row + 1) * 1500).map(Math.abs)) * 0.5);
    expect(out.compiled).toEqual(reference);
  });

  it('NaN and ±Infinity pass through fused loads and stores as IEEE-754 and webgrad\'s max rule say', async () => {
    // Rows: a NaN; +Inf and −Inf (their sum is NaN); +Inf; zeros (0/0 below); negatives.
    const x = [NaN, 1, 2, Infinity, -Infinity, 1, Infinity, 1, 2, 0, 0, -0, -1, -2, -3];
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [5, 3]);
      const sumDivZero = (x: Tensor) => wg.div(wg.sum(wg.mul(x, 2), 1), 0);
      const shiftedMax = (x: Tensor) => wg.sub(wg.max(wg.add(x, 1), 1), 1);
      const run = async (fn: (x: Tensor) => Tensor) => {
        const eager = Array.from(await fn(x).data());
        const step = wg.jit(fn);
        step(x).dispose();
        step(x).dispose();
        return { eager, compiled: Array.from(await step(x).data()), text: step.describe() };
      };
      return { sum: await run(sumDivZero), max: await run(shiftedMax) };
    }, { x });
    expect(out.sum.text).toContain('fused(mul+reduce+div)');
    expect(out.max.text).toContain('fused(add+reduce+sub)');
    expect(out.sum.compiled).toEqual(out.sum.eager);
    expect(out.max.compiled).toEqual(out.max.eager);
    // IEEE-754: NaN·2 = NaN; ∞ + (−∞) = NaN; ∞/0 = ∞; 0/0 = NaN; −12/0 = −∞.
    expect(out.sum.compiled).toEqual([NaN, NaN, Infinity, NaN, -Infinity]);
    // max propagates NaN (README, as NumPy); max(∞ + 1, …) − 1 = ∞; max(1, 1, 1) − 1 = 0; max(0, −1, −2) − 1 = −1.
    expect(out.max.compiled).toEqual([NaN, Infinity, Infinity, 0, -1]);
  });

  it('an op broadcasting a reduction\'s result back over its input (x − max(x)) stays out of the reduce kernel', async () => {
    const rng = mulberry32(2604);
    const x = f32(randomArray([3, 5], rng).data);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [3, 5]);
      const fn = (x: Tensor) => wg.exp(wg.sub(x, wg.max(wg.mul(x, 2), 1, true)));
      const eager = Array.from(await fn(x).data());
      const step = wg.jit(fn);
      step(x).dispose();
      step(x).dispose();
      return { eager, compiled: Array.from(await step(x).data()), text: step.describe() };
    }, { x });
    expect(out.compiled).toEqual(out.eager);
    // mul's result is read by the reduce only (x itself by sub): mul fuses into the loads; sub
    // and exp run over [3, 5], not at the reduction's [3, 1] results, so they stay apart.
    expect(out.text).toContain('fused(mul+reduce)');
    expect(out.text).toContain('fused(sub+exp)');
    const reference = x.map((v, i) => {
      const row = Math.floor(i / 5);
      return Math.exp(v - Math.max(...x.slice(row * 5, row * 5 + 5).map((w) => 2 * w)));
    });
    // One exp (a few ulp) of an exactly rounded difference: 2^-20 relative.
    expectClose(out.compiled, reference, { rtol: 2 ** -20, atol: 0 });
  });

  it('int32 chains fuse into an int32 sum exactly; a chain result read elsewhere is not fused in', async () => {
    const rng = mulberry32(2603);
    const a = Array.from(randomIntArray([4, 6], rng, -1000, 1000).data);
    const out = await gpu.run(async (wg, args) => {
      const x = wg.tensor(new Int32Array(args.a), [4, 6]);
      const intStep = wg.jit((x: Tensor) => wg.sum(wg.mul(x, 3), 1));
      intStep(x).dispose();
      intStep(x).dispose();
      const ints = intStep(x);
      const shared = wg.jit((x: Tensor) => {
        const h = wg.mul(x, 2);
        return { h, total: wg.sum(h) };
      });
      shared(x);
      shared(x);
      const { h, total } = shared(x);
      return {
        dtype: ints.dtype, ints: Array.from(await ints.data()), intText: intStep.describe(),
        h: Array.from(await h.data()), total: Array.from(await total.data()), sharedText: shared.describe(),
      };
    }, { a });
    expect(out.dtype).toBe('int32');
    expect(out.intText).toContain('fused(mul.int32+reduce)');
    expect(out.ints).toEqual([0, 1, 2, 3].map((row) => a.slice(row * 6, row * 6 + 6).reduce((t, v) => t + 3 * v, 0)));
    // h is returned, so the reduce reads it from memory: nothing fuses.
    expect(out.sharedText).not.toContain('fused(');
    expect(out.h).toEqual(a.map((v) => 2 * v));
    expect(out.total).toEqual([a.reduce((t, v) => t + 2 * v, 0)]);
  });
});
