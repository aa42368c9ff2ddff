// Reducing only axes of size 1 folds one element into each output, which is that element: sum,
// mean, max and min return it unchanged (IEEE-754: x + nothing, x / 1, max of {x} are x, NaN, ±Inf
// and -0 included) without launching a kernel (a view of x, as reshape's, except for a variable,
// whose in-place updates would show through), and their gradient is dy itself, checked against
// finite differences of a float64 reference, eagerly and under wg.jit.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32, ndarray, numericGradient, randomArray } from '../reference';

const gpu = useGpuPage();
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

describe('reductions over size-1 axes', () => {
  it('sum, mean, max and min of one element per output are that element, bit for bit, with no dispatch', async () => {
    const x = [NaN, Infinity, -Infinity, -0, 0, 1.5, -2.25, 3e38];
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [4, 1, 2]);
      const xi = wg.tensor(new Int32Array([1, -2, 3, 2147483647]), [4, 1]);
      const ops = { sum: wg.sum, mean: wg.mean, max: wg.max, min: wg.min };
      const results: Record<string, { shape: number[]; dtype: string; values: number[]; dispatches: number; signs: boolean[] }> = {};
      for (const [name, op] of Object.entries(ops)) {
        await wg.synchronize();
        const before = wg.commandStats().dispatches;
        const y = op(x, 1, name === 'max');
        const dispatches = wg.commandStats().dispatches - before;
        const values = Array.from(await y.data());
        results[name] = { shape: [...y.shape], dtype: y.dtype, values, dispatches, signs: values.map((v) => Object.is(v, -0)) };
        y.dispose();
      }
      const intSum = wg.sum(xi, -1);
      const intMean = wg.mean(xi, -1);
      const ints = { sum: { dtype: intSum.dtype, values: Array.from(await intSum.data()) }, mean: { dtype: intMean.dtype, values: Array.from(await intMean.data()) } };
      return { results, ints };
    }, { x });
    for (const name of ['sum', 'mean', 'max', 'min']) {
      const result = out.results[name];
      expect(result.shape, name).toEqual(name === 'max' ? [4, 1, 2] : [4, 2]);
      expect(result.dtype, name).toBe('float32');
      // toEqual counts NaN equal to NaN; -0 is checked on its own below.
      expect(result.values, name).toEqual(f32(x));
      expect(result.signs, name).toEqual(x.map((v) => Object.is(v, -0)));
      expect(result.dispatches, name).toBe(0);
    }
    // int32 sums stay int32 (the element itself); an int32 mean is float32, converted with rounding to nearest.
    expect(out.ints.sum).toEqual({ dtype: 'int32', values: [1, -2, 3, 2147483647] });
    expect(out.ints.mean).toEqual({ dtype: 'float32', values: [1, -2, 3, Math.fround(2147483647)] });
  });

  it('a variable\'s size-1 reduction is a copy, not a view: assigning the variable later leaves it as it was', async () => {
    const out = await gpu.run(async (wg) => {
      const w = wg.variable(wg.tensor([[1], [2], [3]]));
      const x = wg.tensor([[1], [2], [3]]);
      const sums = [wg.sum(w, 1), wg.mean(w, 1), wg.max(w, 1), wg.sum(x, 1)];
      const replacement = wg.tensor([[7], [8], [9]]);
      w.assign(replacement);
      x.assign(replacement);
      replacement.dispose();
      return Promise.all(sums.map(async (s) => Array.from(await s.data())));
    });
    // A plain tensor's (x's) is a view, as reshape's is, and shows the assignment.
    expect(out).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3], [7, 8, 9]]);
  });

  it('the gradient through mean/sum/max/min over a size-1 axis is dy, as finite differences of float64 say, eagerly and under jit', async () => {
    const rng = mulberry32(2401);
    const x = f32(randomArray([3, 1], rng, -2, 2).data);
    const dy = f32(randomArray([3], rng).data);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [3, 1]);
      const dy = wg.tensor(a.dy, [3]);
      // L = Σ dy · reduce(sigmoid(x), axis 1) for each reduction in turn, summed.
      const loss = (x: Tensor) => {
        const s = wg.sigmoid(x);
        const terms = [wg.sum(s, 1), wg.mean(s, 1), wg.max(s, 1), wg.min(s, 1)];
        return wg.sum(wg.mul(terms.reduce((total, term) => wg.add(total, term)), dy));
      };
      const gradient = (x: Tensor) => wg.valueAndGrad(loss)(x).grads[0];
      const eager = Array.from(await gradient(x).data());
      const step = wg.jit(gradient);
      step(x).dispose();
      step(x).dispose();
      return { eager, compiled: Array.from(await step(x).data()) };
    }, { x, dy });
    expect(out.compiled).toEqual(out.eager);
    const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
    // Each of the four reductions of one element is that element: L = Σ 4·dy_i·sigmoid(x_i).
    const [numeric] = numericGradient(([p]) => p.data.reduce((total, v, i) => total + 4 * dy[i] * sigmoid(v), 0), [ndarray([3, 1], x)]);
    // float32 sigmoid and its derivative (a few ulp) times dy summed four times: 2^-20 absolute on gradients ≤ 4·0.25.
    expectClose(out.eager, numeric.data, { rtol: 0, atol: 2 ** -20 });
  });
});
