// The reference training step (Dense(2, sigmoid) → Dense(1, sigmoid), binary cross-entropy, Adam)
// under wg.jit: a Tape's loss and gradients and Adam's update compiled into one program give the
// same losses and weights as the eager steps, bit for bit, with the loss's elementwise terms, its
// mean and the division by the count in one kernel, the backward seed computed once, and each
// layer's weight and bias gradients made and applied by Adam in one kernel: 6 dispatches per step.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('the reference step under jit', () => {
  it('equals the eager steps bit for bit in fewer dispatches: BCE fused into its mean, the seed folded', async () => {
    const out = await gpu.run(async (wg) => {
      const run = async (compiled: boolean) => {
        wg.setSeed(42);
        const model = new wg.Sequential([
          new wg.layers.Dense(2, { activation: 'sigmoid', inputShape: [2] }),
          new wg.layers.Dense(1, { activation: 'sigmoid' }),
        ]);
        const x = wg.tensor([[1, 2], [2, 3], [3, 4], [4, 5]]);
        const y = wg.tensor([[0], [1], [1], [0]]);
        model.predict(x).dispose();
        const optimizer = new wg.optimizers.Adam({ learningRate: 0.01 });
        const params = model.trainableWeights;
        const step = (x: Tensor, y: Tensor) => {
          const tape = new wg.Tape();
          const loss = tape.record(() => wg.losses.binaryCrossentropy(y, model.apply(x, { training: true })).mean());
          optimizer.applyGradients(params, tape.gradient(loss, params));
          return loss;
        };
        const stepFn = compiled ? wg.jit(step) : step;
        const losses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const loss = stepFn(x, y);
          losses.push((await loss.data())[0]);
          loss.dispose();
        }
        await wg.synchronize();
        const before = wg.commandStats().dispatches;
        stepFn(x, y).dispose();
        const dispatches = wg.commandStats().dispatches - before;
        const weights = await Promise.all(params.map(async (p) => Array.from(await p.data())));
        return { losses, weights, dispatches, text: compiled ? (stepFn as ReturnType<typeof wg.jit>).describe() : '' };
      };
      return { eager: await run(false), compiled: await run(true) };
    });
    expect(out.compiled.losses).toEqual(out.eager.losses);
    expect(out.compiled.weights).toEqual(out.eager.weights);
    expect(out.eager.losses[4]).toBeLessThan(out.eager.losses[0]);
    expect(out.compiled.text).toContain('fused(binaryCrossentropy+reduce+div | binaryCrossentropy.grad.p+sigmoid.grad.x)');
    expect(out.compiled.text).toMatch(/folded \(ran once when compiled\):\n {4}fill /);
    expect(out.compiled.text).toContain('fused(matmul+sigmoid.grad.x)');
    // 25 per call before folding, size-1 reductions as views, reduce fusion, matmul epilogues and
    // grouped optimizer updates; 11 with them; 6 now (issue 12's target): forward 2, the loss's
    // mean with its gradient as a sibling output, dX of layer 2 with sigmoid's gradient, and per
    // layer one kernel making dW and db and applying Adam to both (fused(matmul+sum+adam)).
    const perCall = Number(/-> (\d+) per call/.exec(out.compiled.text)?.[1]);
    expect(perCall).toBeLessThanOrEqual(6);
    expect(out.compiled.text.match(/fused\(matmul\+sum\+adam\)/g)).toHaveLength(2);
    expect(out.compiled.dispatches).toBe(perCall);
    expect(perCall).toBeLessThan(out.eager.dispatches - 5);
  });
});
