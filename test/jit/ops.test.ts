// Op families under wg.jit: matmul, reductions, softmax, conv2d, pooling and a conv gradient run
// compiled equal eager bit for bit (a replay runs the same kernels on the same values; only
// elementwise chains are regenerated, and those are bit-equal too) and match float64 references.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';

const gpu = useGpuPage();
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

describe('op families under jit', () => {
  it('matmul + bias, sum/max over axes, softmax, conv2d + maxPool2d, and a conv filter gradient: compiled equals eager and float64', async () => {
    const rng = ref.mulberry32(1401);
    const a = {
      x: f32(ref.randomArray([5, 7], rng).data), w: f32(ref.randomArray([7, 3], rng).data), b: f32(ref.randomArray([3], rng).data),
      img: f32(ref.randomArray([2, 6, 6, 2], rng).data), filter: f32(ref.randomArray([3, 3, 2, 4], rng).data),
    };
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [5, 7]);
      const w = wg.tensor(a.w, [7, 3]);
      const b = wg.tensor(a.b, [3]);
      const img = wg.tensor(a.img, [2, 6, 6, 2]);
      const filter = wg.tensor(a.filter, [3, 3, 2, 4]);
      const fn = (x: Tensor, img: Tensor) => {
        const dense = wg.add(wg.matmul(x, w), b);
        const conv = wg.conv2d(img, filter, { padding: 'same' });
        const filterGrad = wg.grad((f: Tensor) => wg.sum(wg.square(wg.conv2d(img, f, { padding: 'same' }))))(filter)[0];
        return {
          dense,
          sums: wg.sum(x, 0),
          maxes: wg.max(x, 1),
          probs: wg.softmax(dense, -1),
          pooled: wg.maxPool2d(wg.relu(conv), { poolSize: 2 }),
          conv,
          filterGrad,
        };
      };
      const read = async (result: Record<string, Tensor>) =>
        Object.fromEntries(await Promise.all(Object.entries(result).map(async ([name, t]) => [name, Array.from(await t.data())] as const)));
      const eager = await read(fn(x, img));
      const compiled = wg.jit(fn);
      const calls = [];
      for (let i = 0; i < 3; i++) calls.push(await read(compiled(x, img)));
      return { eager, calls, text: compiled.describe(), stats: { ...compiled.stats } };
    }, a);
    expect(out.stats.cacheHits).toBe(1);
    for (const call of out.calls) expect(call).toEqual(out.eager);
    const x = ref.ndarray([5, 7], a.x);
    const dense = ref.binary(ref.matmul(x, ref.ndarray([7, 3], a.w)), ref.ndarray([3], a.b), (p, q) => p + q);
    const conv = ref.conv2d(ref.ndarray([2, 6, 6, 2], a.img), ref.ndarray([3, 3, 2, 4], a.filter), { padding: 'same' });
    // Sums of ≤ 18 products of values in [-1, 1]: float32 accumulation error below 2^-17 absolute.
    const sumTolerance = { rtol: 1e-6, atol: 2 ** -17 };
    const compiled = out.calls[2];
    ref.expectClose(compiled.dense, dense.data, sumTolerance);
    ref.expectClose(compiled.sums, ref.sum(x, 0).data, sumTolerance);
    ref.expectClose(compiled.maxes, ref.max(x, 1).data, { rtol: 0, atol: 0 });
    // softmax: exp (a few ulp) and one division.
    ref.expectClose(compiled.probs, ref.softmax(dense, -1).data, { rtol: 1e-6, atol: 1e-7 });
    ref.expectClose(compiled.conv, conv.data, sumTolerance);
    // The pooled maxima are the GPU's own conv values picked, so they are compared to the pool of those.
    const pooled = ref.pool2d('max', ref.unary(ref.ndarray([2, 6, 6, 4], compiled.conv), (v) => Math.max(v, 0)), { poolSize: 2 });
    ref.expectClose(compiled.pooled, pooled.data, { rtol: 0, atol: 0 });
    // d/dF Σ conv(img, F)² = 2·conv2dFilterGradient(img, conv): sums of 72 products.
    const filterGrad = ref.conv2dFilterGradient(ref.ndarray([2, 6, 6, 2], a.img), ref.unary(conv, (v) => 2 * v), [3, 3, 2, 4], { padding: 'same' });
    ref.expectClose(compiled.filterGrad, filterGrad.data, { rtol: 1e-5, atol: 1e-5 });
    expect(out.text).toMatch(/\d+ dispatches traced -> \d+ per call/);
  });
});
