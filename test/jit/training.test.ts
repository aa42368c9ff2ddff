// Training under wg.jit: a valueAndGrad + Adam step compiled into one program gives the loss history
// and weights of the same loop run eagerly, up to the float32 reassociation of its bias gradients
// (a replay runs the same kernels on the same values in the same order, with Adam's per-step
// constants recomputed on the CPU each call: a constant frozen at its traced step would change the
// weights from the third step on, by far more than the bound), and
// gradients under jit match float64 finite differences; a second derivative too.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32, ndarray, numericGradient, randomArray } from '../reference';

const gpu = useGpuPage();
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

describe('training under jit', () => {
  it('valueAndGrad + Adam.applyGradients: 8 compiled steps equal 8 eager steps within the bias gradients\' reassociation; iterations advance per replay', async () => {
    const rng = mulberry32(1301);
    const data = {
      x: f32(randomArray([8, 4], rng).data), y: f32(randomArray([8, 3], rng).data),
      w1: f32(randomArray([4, 6], rng, -0.5, 0.5).data), b1: f32(randomArray([6], rng, -0.1, 0.1).data),
      w2: f32(randomArray([6, 3], rng, -0.5, 0.5).data), b2: f32(randomArray([3], rng, -0.1, 0.1).data),
    };
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [8, 4]);
      const y = wg.tensor(a.y, [8, 3]);
      const run = async (compiled: boolean) => {
        const params = [wg.variable(wg.tensor(a.w1, [4, 6])), wg.variable(wg.tensor(a.b1, [6])), wg.variable(wg.tensor(a.w2, [6, 3])), wg.variable(wg.tensor(a.b2, [3]))];
        const optimizer = new wg.optimizers.Adam({ learningRate: 0.05 });
        const loss = (x: Tensor, y: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
          wg.mean(wg.square(wg.sub(wg.add(wg.matmul(wg.relu(wg.add(wg.matmul(x, w1), b1)), w2), b2), y)));
        const step = (x: Tensor, y: Tensor) => {
          const { value, grads } = wg.valueAndGrad((w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => loss(x, y, w1, b1, w2, b2))(...params);
          optimizer.applyGradients(params, grads);
          return value;
        };
        const stepFn = compiled ? wg.jit(step) : step;
        const losses: number[] = [];
        const iterations: number[] = [];
        for (let i = 0; i < 8; i++) {
          const value = stepFn(x, y);
          losses.push((await value.data())[0]);
          value.dispose();
          iterations.push(optimizer.iterations);
        }
        const weights = await Promise.all(params.map(async (p) => Array.from(await p.data())));
        const text = compiled ? (stepFn as ReturnType<typeof wg.jit>).describe() : '';
        return { losses, weights, iterations, text };
      };
      return { eager: await run(false), compiled: await run(true) };
    }, data);
    expect(out.compiled.iterations).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The first loss precedes any update; later ones and the weights follow the bias gradients,
    // which wg.jit sums inside the weight gradient's matmul in k order (fused(matmul+sum)) where the
    // eager reduce sums in blocks: each db may differ by γ(7)·Σ|dz| ≈ 4.2e-7·Σ|dz| (8 rows), which
    // moves Adam's update (lr 0.05, m̂/√v̂ of order 1) by about lr·1e-6 per step: at most ~4e-7 over
    // 8 steps, with room for cancellation in Σ dz. (Measured on SwiftShader: losses equal, weights ≤ 6e-8 apart.)
    expect(out.compiled.losses[0]).toBe(out.eager.losses[0]);
    expectClose(out.compiled.losses, out.eager.losses, { rtol: 0, atol: 1e-6 });
    out.compiled.weights.forEach((w, k) => expectClose(w, out.eager.weights[k], { rtol: 0, atol: 1e-6 }));
    // The loss goes down: the steps did train.
    expect(out.eager.losses[7]).toBeLessThan(out.eager.losses[0]);
    // Forward, backward and the Adam update are one program; Adam's constants are per-call uniforms.
    // Each parameter's update runs in the kernel making its gradient (src/jit/fuseUpdate.ts): a
    // layer's dW and db come from one fused(matmul+sum) (src/jit/fuseBiasGradient.ts), which takes
    // both updates and reads their constants: 2 dispatches with per-call uniforms.
    expect(out.compiled.text).toContain('per-call uniforms: 2 dispatches');
    expect(out.compiled.text.match(/fused\(matmul\+sum\+adam\)/g)).toHaveLength(2);
  });

  it('a learning rate changed between compiled calls is used by the next replay, as eagerly', async () => {
    const out = await gpu.run(async (wg) => {
      const run = async (compiled: boolean) => {
        const w = wg.variable(wg.tensor([1, -2, 3, -4]));
        const optimizer = new wg.optimizers.SGD({ learningRate: 0.1 });
        const step = () => {
          const { value, grads } = wg.valueAndGrad((w: Tensor) => wg.sum(wg.square(w)))(w);
          optimizer.applyGradients([w], grads);
          return value;
        };
        const stepFn = compiled ? wg.jit(step) : step;
        for (let i = 0; i < 5; i++) {
          optimizer.learningRate = 0.1 / (i + 1);
          stepFn().dispose();
        }
        return Array.from(await w.data());
      };
      return { eager: await run(false), compiled: await run(true) };
    });
    expect(out.compiled).toEqual(out.eager);
    // SGD on sum(w²): w ← w(1 − 2·lr) per step, lr = 0.1/(i+1): float64 product of the factors.
    const factor = [0, 1, 2, 3, 4].reduce((product, i) => product * (1 - 0.2 / (i + 1)), 1);
    expectClose(out.compiled, [1, -2, 3, -4].map((v) => v * factor), { rtol: 5 * 2 ** -23, atol: 0 });
  });

  it('gradients under jit match float64 finite differences, and a second derivative under jit matches 6x', async () => {
    const rng = mulberry32(1302);
    const x = f32(randomArray([3, 4], rng).data);
    const w = f32(randomArray([4, 2], rng).data);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [3, 4]);
      const w = wg.tensor(a.w, [4, 2]);
      const gradient = wg.jit((x: Tensor, w: Tensor) => wg.grad((x: Tensor, w: Tensor) => wg.sum(wg.tanh(wg.matmul(x, w))))(x, w));
      const secondDerivative = wg.jit((x: Tensor) => wg.grad((x: Tensor) => wg.sum(wg.grad((z: Tensor) => wg.sum(wg.mul(wg.mul(z, z), z)))(x)[0]))(x)[0]);
      const grads = [];
      for (let i = 0; i < 3; i++) grads.push(await Promise.all(gradient(x, w).map(async (g) => Array.from(await g.data()))));
      const second = [];
      for (let i = 0; i < 3; i++) second.push(Array.from(await secondDerivative(x).data()));
      return { grads, second, stats: [{ ...gradient.stats }, { ...secondDerivative.stats }] };
    }, { x, w });
    expect(out.stats.map((s) => s.cacheHits)).toEqual([1, 1]);
    const f = ([xa, wa]: ReturnType<typeof ndarray>[]): number => {
      let total = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) {
        let dot = 0;
        for (let k = 0; k < 4; k++) dot += xa.data[i * 4 + k] * wa.data[k * 2 + j];
        total += Math.tanh(dot);
      }
      return total;
    };
    const [dx, dw] = numericGradient(f, [ndarray([3, 4], x), ndarray([4, 2], w)]);
    // tanh' and the matmuls in float32: a few ulp of values ≤ 4 in size; the central difference in
    // float64 is accurate to ~1e-9.
    for (const [gx, gw] of out.grads) {
      expectClose(gx, dx.data, { rtol: 1e-5, atol: 1e-6 });
      expectClose(gw, dw.data, { rtol: 1e-5, atol: 1e-6 });
    }
    // d²/dx² Σx³ = 6x: two products of float32 values, each correctly rounded.
    for (const values of out.second) expectClose(values, x.map((v) => 6 * v), { rtol: 2 ** -22, atol: 0 });
  });
});
