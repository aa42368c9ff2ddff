// fit (and its validationData) / evaluate / predict / trainOnBatch / setWeights take nested or typed arrays as TF.js's do
// (converted once, disposed when the call settles): the same numbers as with tensors from the same
// values, nothing left alive, and a TypeError naming the method and argument for anything else.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('model methods with TensorLike data', () => {
  it('train and predict identically from arrays and from tensors, leak nothing, and reject a string', async () => {
    const out = await gpu.run(async (wg) => {
      const x = [[1, 2, 3], [0.5, -1, 2], [2, 0, -1], [1, 1, 1]];
      const y = [[1], [0], [1], [0]];
      const run = async (asTensors: boolean) => {
        wg.setSeed(7);
        const model = new wg.Sequential([new wg.layers.Dense(2, { activation: 'tanh', inputShape: [3] }), new wg.layers.Dense(1)]);
        model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        model.setWeights(asTensors
          ? [wg.tensor([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]), wg.tensor([0, 0.1]), wg.tensor([[0.7], [-0.8]]), wg.tensor([0.2])]
          : [[[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], Float32Array.from([0, 0.1]), [[0.7], [-0.8]], [0.2]]);
        const xs = asTensors ? wg.tensor(x) : x;
        const ys = asTensors ? wg.tensor(y) : y;
        // The optimizer makes its state on the first step; count after it.
        await model.trainOnBatch(xs, ys);
        const before = wg.memory().numTensors;
        const history = await model.fit(xs, ys, { epochs: 2, batchSize: 2, verbose: 0, validationData: asTensors ? [xs, ys] : [x, y] });
        const logs = await model.trainOnBatch(xs, ys);
        const evaluated = await model.evaluate(xs, ys);
        const prediction = model.predict(asTensors ? xs : [[1, 2, 3]]);
        const values = Array.from(await prediction.data());
        prediction.dispose();
        const leaked = wg.memory().numTensors - before;
        let message = 'no error';
        try {
          await model.fit('abc' as unknown as number[], y, { verbose: 0 });
        } catch (error) {
          message = `${(error as Error).name}: ${(error as Error).message}`;
        }
        for (const data of [xs, ys]) if (data instanceof wg.Tensor) data.dispose();
        model.dispose();
        return { loss: history.history.loss, valLoss: history.history.val_loss, batchLoss: logs.loss, evaluated: evaluated.loss, first: values[0], leaked, message };
      };
      return { tensors: await run(true), arrays: await run(false) };
    }, null);
    expect(out.arrays.loss).toEqual(out.tensors.loss);
    expect(out.arrays.valLoss).toEqual(out.tensors.valLoss);
    expect(out.arrays.valLoss).toHaveLength(2);
    expect([out.arrays.batchLoss, out.arrays.evaluated, out.arrays.first]).toEqual([out.tensors.batchLoss, out.tensors.evaluated, out.tensors.first]);
    expect(out.arrays.leaked).toBe(0);
    expect(out.tensors.leaked).toBe(0);
    expect(out.arrays.message).toMatch(/^TypeError: fit: argument 'x' must be a Tensor, a number, a typed array or a nested array of numbers, got the string "abc"/);
  });
});
