// wg.jit's constant folding: steps that read only op-internal constants (cached scalars, or what
// another folded step wrote) run once when the program is built and leave the per-call list, with
// results bit-identical to eager; anything that reads a user's tensor is never folded, so a tensor
// changed between calls (assign) is read anew by every replay.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32, randomArray } from '../reference';

const gpu = useGpuPage();
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

describe('jit constant folding', () => {
  it('ones / 4 made inside the function is folded: computed once, bit-equal to eager, 1 dispatch per call', async () => {
    const rng = mulberry32(2501);
    const x = f32(randomArray([6], rng).data);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x);
      const fn = (x: Tensor) => wg.add(x, wg.div(wg.ones([6]), 4));
      const eager = Array.from(await fn(x).data());
      const step = wg.jit(fn);
      step(x).dispose();
      step(x).dispose();
      const calls = [];
      for (let i = 0; i < 3; i++) calls.push(Array.from(await step(x).data()));
      await wg.synchronize();
      const before = wg.commandStats().dispatches;
      step(x).dispose();
      const dispatches = wg.commandStats().dispatches - before;
      return { eager, calls, dispatches, text: step.describe() };
    }, { x });
    for (const call of out.calls) expect(call).toEqual(out.eager);
    // x + 0.25 rounds once in float32.
    expect(out.eager).toEqual(x.map((v) => Math.fround(v + 0.25)));
    expect(out.dispatches).toBe(1);
    expect(out.text).toContain('3 dispatches traced -> 1 per call (0 fused kernels, 2 steps folded into constants, 0 dead dispatches dropped)');
    expect(out.text).toMatch(/folded \(ran once when compiled\):\n {4}fill {2}reads \[\] writes \[v\d+\]\n {4}div /);
  });

  it('a gradient that reads only the backward seed folds after fusion drops its unread inputs; the dead forward pass is dropped', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([[1, 2, 3], [4, 5, 6]]);
      const w = wg.tensor([[0.5], [1], [2]]);
      // d/dw Σ(−w) = −1 whatever w is; valueAndGrad's value (the sum) is never used.
      const fn = (x: Tensor) => wg.matmul(x, wg.valueAndGrad((w: Tensor) => wg.sum(wg.neg(w)))(w).grads[0]);
      const eager = Array.from(await fn(x).data());
      const step = wg.jit(fn);
      step(x).dispose();
      step(x).dispose();
      return { eager, compiled: Array.from(await step(x).data()), text: step.describe() };
    });
    // x · [−1, −1, −1]ᵀ: minus the row sums, exact.
    expect(out.eager).toEqual([-6, -15]);
    expect(out.compiled).toEqual(out.eager);
    // neg.grad.x reads only dy (the seed, itself folded) once fused alone without x and out; neg
    // and the sum then feed nothing and are dropped: the matmul is all that runs.
    // Traced: neg, reduce, fill, broadcast, neg.grad.x, matmul. neg and reduce are dropped (neg
    // only after fusion: its result was bound, unread, by neg.grad.x).
    expect(out.text).toContain('6 dispatches traced -> 1 per call (0 fused kernels, 3 steps folded into constants, 2 dead dispatches dropped)');
    expect(out.text).toMatch(/folded \(ran once when compiled\):(\n {4}.*)*\n {4}neg\.grad\.x /);
  });

  it('a tensor made from an array inside the function is uploaded once: no copy per call', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([[1, 2, 3], [4, 5, 6]]);
      const fn = (x: Tensor) => wg.matmul(x, wg.tensor([[1], [0.5], [0.25]]));
      const eager = Array.from(await fn(x).data());
      const step = wg.jit(fn);
      step(x).dispose();
      step(x).dispose();
      const calls = [];
      for (let i = 0; i < 3; i++) calls.push(Array.from(await step(x).data()));
      return { eager, calls, text: step.describe() };
    });
    // [1 + 1 + 0.75, 4 + 2.5 + 1.5], exact.
    expect(out.eager).toEqual([2.75, 8]);
    for (const call of out.calls) expect(call).toEqual(out.eager);
    expect(out.text).toContain('1 steps folded into constants, 0 dead dispatches dropped), 0 copies');
    expect(out.text).toMatch(/folded \(ran once when compiled\):\n {4}upload /);
  });

  it('a captured tensor assigned between calls is read anew: work on it is not folded', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([1, 2, 3]);
      const c = wg.tensor([2]);
      // c / 4 reads only c and a cached constant: foldable were c a constant, which it is not.
      const step = wg.jit((x: Tensor) => wg.mul(x, wg.div(c, 4)));
      const values = [];
      for (const next of [2, 2, 2, 6, -4]) {
        const replacement = wg.tensor([next]);
        c.assign(replacement);
        replacement.dispose();
        values.push(Array.from(await step(x).data()));
      }
      return { values, stats: { ...step.stats }, text: step.describe() };
    });
    // x · c/4 for c = 2, 2, 2, 6, −4 (exact in float32).
    expect(out.values).toEqual([[0.5, 1, 1.5], [0.5, 1, 1.5], [0.5, 1, 1.5], [1.5, 3, 4.5], [-1, -2, -3]]);
    expect(out.stats.cacheHits).toBe(3);
    expect(out.text).toContain('0 steps folded into constants');
  });

  it('a weight updated by the function itself is never folded (an optimizer step under jit)', async () => {
    const out = await gpu.run(async (wg) => {
      const w = wg.variable(wg.tensor([1, -2]));
      const optimizer = new wg.optimizers.SGD({ learningRate: 0.25 });
      const step = wg.jit(() => {
        const { value, grads } = wg.valueAndGrad((w: Tensor) => wg.mean(wg.square(w)))(w);
        optimizer.applyGradients([w], grads);
        return value;
      });
      const losses = [];
      for (let i = 0; i < 4; i++) {
        const loss = step();
        losses.push((await loss.data())[0]);
        loss.dispose();
      }
      return { losses, w: Array.from(await w.data()), text: step.describe() };
    });
    // mean(w²) has gradient w/1 (2w/2): w ← w − 0.25·w = 0.75·w each step; losses are mean(w²) before each step.
    const w0 = [1, -2];
    const expected = [0, 1, 2, 3].map((k) => (w0[0] ** 2 + w0[1] ** 2) / 2 * 0.75 ** (2 * k));
    // Each step rounds a few times in float32: 2^-20 relative.
    expectClose(out.losses, expected, { rtol: 2 ** -20, atol: 0 });
    expectClose(out.w, w0.map((v) => v * 0.75 ** 4), { rtol: 2 ** -20, atol: 0 });
    // The seed of the backward pass (ones, / 2 for the mean's count) is folded; the gradient of w is not.
    expect(out.text).toMatch(/[1-9] steps folded into constants/);
  });
});
