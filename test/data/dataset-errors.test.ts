// Bad streamed data is refused before the step of the batch that holds it, with a typed error
// naming the epoch, the batch and the shapes (or value) at fault: the steps before it stand (as in
// TF.js and Keras, which cannot look ahead in a stream), the bad batch changes nothing, and no
// tensor leaks. SGD keeps no state, so "the steps before it" is checked by replaying exactly those
// batches from the same starting weights.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('fitDataset errors', () => {
  it('wrong shapes, dtypes, sample counts, labels, empty data and misuse are typed errors; earlier steps stand, nothing leaks', async () => {
    const out = await gpu.run(async (wg) => {
      type Tensor = ReturnType<typeof wg.tensor>;
      wg.setSeed(1);
      const model = new wg.Sequential([new wg.layers.Dense(3, { activation: 'softmax', inputShape: [2] })]);
      model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
      const snapshot = async () => {
        const weights = model.getWeights() as Tensor[];
        const values = await Promise.all(weights.map(async (w) => Array.from(await w.data())));
        weights.forEach((w) => w.dispose());
        return values;
      };
      const start = model.getWeights() as Tensor[];
      const initial = await snapshot();
      const rows = (n: number, width: number, offset: number) => Array.from({ length: n }, (_, i) => ({ xs: Array.from({ length: width }, (_, j) => (i + j + offset) / 10), ys: (i + offset) % 3 }));
      const good = rows(4, 2, 0);
      const streams = {
        // batch 3 has rows of width 3
        wideThirdBatch: wg.data.array([...good, ...rows(2, 3, 4)]).batch(2),
        // batch 2's inputs are int32 (from Int32Array rows)
        intSecondBatch: wg.data.array([...good.slice(0, 2).map((r) => ({ xs: Float32Array.from(r.xs), ys: r.ys })), { xs: Int32Array.of(1, 2), ys: 0 }, { xs: Int32Array.of(3, 4), ys: 1 }]).batch(2),
      };
      const count = wg.memory().numTensors;
      const cases: Record<string, () => Promise<unknown>> = {
        mismatchedSamples: () => model.fitDataset(wg.data.generator(function* pair() { yield { xs: wg.ones([4, 2]), ys: wg.zeros([3]) }; }), { verbose: 0 }),
        labelOutOfRange: () => model.fitDataset(wg.data.array([{ xs: [0, 1], ys: 0 }, { xs: [1, 1], ys: 5 }]).batch(2), { verbose: 0 }),
        // Labels batch() uploaded are checked from its host copy; a tensor from a generator is read back.
        labelTensorOutOfRange: () => model.fitDataset(wg.data.generator(function* pair() { yield { xs: wg.ones([2, 2]), ys: wg.tensor([0, 7]) }; }), { verbose: 0 }),
        notAPair: () => model.fitDataset(wg.data.array([[0, 1], [1, 1]]).batch(2), { verbose: 0 }),
        emptyDataset: () => model.fitDataset(wg.data.array([]), { verbose: 0 }),
        emptyEvaluate: () => model.evaluateDataset(wg.data.array(good).take(0).batch(2)),
        fitWithLabels: () => model.fit(wg.data.array(good).batch(2), [[0]] as never),
        batchSizeOption: () => model.fit(wg.data.array(good).batch(2), { batchSize: 2 } as Parameters<typeof model.fitDataset>[1]),
      };
      const errors: Record<string, string> = {};
      const describeError = (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`;
      for (const [name, run] of Object.entries(cases)) {
        try {
          await run();
          errors[name] = 'no error';
        } catch (error) {
          errors[name] = describeError(error);
        }
      }
      const unchanged = JSON.stringify(await snapshot()) === JSON.stringify(initial);
      // An empty validation dataset shows only once the first epoch has trained.
      try {
        await model.fitDataset(wg.data.array(good).batch(2), { verbose: 0, validationData: wg.data.array([]) });
        errors.emptyValidation = 'no error';
      } catch (error) {
        errors.emptyValidation = describeError(error);
      }
      // Errors at a later batch: the batches before it trained, exactly as fitting on just those does.
      const later: Record<string, { error: string; asReplay: boolean }> = {};
      for (const [name, stream] of Object.entries(streams)) {
        model.setWeights(start);
        let error = 'no error';
        try {
          await model.fitDataset(stream, { verbose: 0 });
        } catch (e) {
          error = describeError(e);
        }
        const afterError = await snapshot();
        model.setWeights(start);
        await model.fitDataset(stream.take(name === 'wideThirdBatch' ? 2 : 1), { verbose: 0 });
        later[name] = { error, asReplay: JSON.stringify(await snapshot()) === JSON.stringify(afterError) };
      }
      const leaked = wg.memory().numTensors - count;
      start.forEach((t) => t.dispose());
      model.dispose();
      return { errors, unchanged, later, leaked };
    });
    expect(out.errors).toEqual({
      mismatchedSamples: 'ShapeError: fitDataset (epoch 1, batch 1): x has 4 samples [4,2] but y has 3 [3]',
      labelOutOfRange: 'ValueError: fitDataset (epoch 1, batch 1): sparse_categorical_crossentropy takes integer class indices in [0, 2]; y[1] is 5',
      labelTensorOutOfRange: 'ValueError: fitDataset (epoch 1, batch 1): sparse_categorical_crossentropy takes integer class indices in [0, 2]; y[1] is 7',
      notAPair: 'ValueError: fitDataset (epoch 1, batch 1): a dataset for training yields { xs, ys } or [x, y], got a float32 tensor [2,2]',
      emptyDataset: 'ValueError: fitDataset: the dataset yielded no batches',
      emptyValidation: 'ValueError: fitDataset (validationData): the dataset yielded no batches',
      emptyEvaluate: 'ValueError: evaluateDataset: the dataset yielded no batches',
      fitWithLabels: 'ValueError: fit: x is a dataset, which yields the labels too; call fit(dataset, options) without y (got [[0]] after the dataset)',
      batchSizeOption: 'ValueError: fit: batchSize does not apply to a dataset; batch the dataset instead (dataset.batch(n))',
    });
    expect(out.unchanged).toBe(true);
    expect(out.later).toEqual({
      wideThirdBatch: { error: 'ShapeError: fitDataset (epoch 1, batch 3): the model expects inputs of shape [batch,2], got [2,3]', asReplay: true },
      intSecondBatch: { error: 'ValueError: fitDataset (epoch 1, batch 2): the arrays [2,2] [2] are int32,float32 but the first batch\'s [2,2] [2] were float32,float32', asReplay: true },
    });
    expect(out.leaked).toBe(0);
  });
});
