// Keras 3's per-output compile options given for some outputs only: an output missing from the
// metrics object gets no metrics, one missing from lossWeights a weight of 1 (a loss is still
// needed for every output). Checked through the log names and Keras's total loss, the sum of the
// weighted output losses (evaluate reads each from the same batch, so float32 rounding only).
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('per-output compile options for some outputs', () => {
  it('metrics and lossWeights by name for one of two outputs', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(3);
      const a = wg.input({ shape: [4], name: 'a' });
      const score = new wg.layers.Dense(1, { name: 'score' }).apply(a);
      const kind = new wg.layers.Dense(2, { activation: 'softmax', name: 'kind' }).apply(a);
      const model = wg.model({ inputs: a, outputs: [score, kind] });
      model.compile({ optimizer: 'sgd', loss: { score: 'mse', kind: 'sparse_categorical_crossentropy' }, metrics: { kind: ['accuracy'] }, lossWeights: { score: 2 } });
      const x = wg.randn([16, 4]);
      const ys = [wg.randn([16, 1]), wg.randomInt([16], 0, 2)];
      const logs = await model.evaluate(x, ys, { batchSize: 16 });
      let missingLoss = 'no error';
      try {
        model.compile({ optimizer: 'sgd', loss: { score: 'mse' } });
      } catch (error) {
        missingLoss = `${(error as Error).name}: ${(error as Error).message}`;
      }
      [x, ...ys].forEach((t) => t.dispose());
      model.dispose();
      return { logs, missingLoss };
    });
    expect(Object.keys(out.logs).sort()).toEqual(['kind_accuracy', 'kind_loss', 'loss', 'score_loss']);
    expect(out.logs.loss).toBeCloseTo(2 * out.logs.score_loss + out.logs.kind_loss, 5);
    expect(out.missingLoss).toMatch(/ValueError: .*loss has no entry for output 'kind'/);
  });
});
