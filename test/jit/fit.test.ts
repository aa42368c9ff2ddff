// fit and evaluate run their steps compiled by default: with the same seed, a compiled fit (shuffled
// batches, validation, a partial last batch, dropout, batch normalization's moving statistics, Adam) gives the
// loss history and final weights of `compile({ jit: false })`, since a replay runs the same kernels
// on the same values and dropout draws the same streams of the fit's generator: bit for bit but
// for the bias gradients, which wg.jit sums in another order (src/jit/fuseBiasGradient.ts).
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32 } from '../reference';

const gpu = useGpuPage();

describe('fit compiled', () => {
  it('equals the eager fit up to the bias gradients\' reassociation, with fewer dispatches', async () => {
    const rng = mulberry32(1501);
    const x = Array.from({ length: 30 }, () => [rng() * 2 - 1, rng() * 2 - 1, rng() * 2 - 1]);
    const y = x.map(([a, b, c]) => [a * b - c > 0 ? 1 : 0]);
    const out = await gpu.run(async (wg, { x: rows, y: labels }) => {
      const x = wg.tensor(rows);
      const y = wg.tensor(labels);
      const run = async (jit: boolean) => {
        wg.setSeed(7);
        const model = new wg.Sequential([
          new wg.layers.Dense(8, { activation: 'relu', inputShape: [3] }),
          new wg.layers.BatchNormalization(),
          new wg.layers.Dropout(0.25),
          new wg.layers.Dense(1, { activation: 'sigmoid' }),
        ]);
        model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'], jit });
        // 24 training samples in batches of 8, 6 validating (one batch of 6); evaluate: 3 batches of 8 and one of 6.
        let history: Record<string, number[]> = {};
        const report = await wg.profile(async () => {
          history = (await model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0, validationSplit: 0.2 })).history;
        });
        const evaluated = await model.evaluate(x, y, { batchSize: 8 });
        const weights = model.getWeights();
        const values = await Promise.all(weights.map(async (w) => Array.from(await w.data())));
        weights.forEach((w) => w.dispose());
        model.dispose();
        return { dispatches: report.dispatches, loss: history.loss, valLoss: history.val_loss, evaluated, values };
      };
      return { eager: await run(false), compiled: await run(true) };
    }, { x, y });
    // Each Dense layer's bias gradient is summed in k order inside its weight gradient's matmul
    // under wg.jit (fused(matmul+sum)), in blocks by the eager reduce: γ(7)·Σ|dz| ≈ 4.2e-7·Σ|dz| apart
    // per step (8 rows), which moves Adam's updates (lr 0.001, m̂/√v̂ of order 1) by about 1e-9 per
    // step: far below 1e-6 after 15 steps. (Measured on SwiftShader: losses equal, weights ≤ 5e-10 apart.)
    const close = (compiled: number[], eager: number[]) => expectClose(compiled, eager, { rtol: 0, atol: 1e-6 });
    close(out.compiled.loss, out.eager.loss);
    close(out.compiled.valLoss, out.eager.valLoss);
    expect(Object.keys(out.compiled.evaluated)).toEqual(Object.keys(out.eager.evaluated));
    close(Object.values(out.compiled.evaluated), Object.values(out.eager.evaluated));
    expect(out.compiled.valLoss).toHaveLength(5);
    out.compiled.values.forEach((w, k) => close(w, out.eager.values[k]));
    // Fusion removes dispatches: the compiled fit launches fewer over the same 20 steps.
    expect(out.compiled.dispatches).toBeLessThan(out.eager.dispatches);
  });
});
