// fit / evaluate / trainOnBatch check their data before queueing any work: a bad option, an empty
// dataset, a class index that is not an integer in [0, classes) or a token id outside an
// Embedding's table each give a ValueError naming the value (and its index), and leave the model's
// weights and wg.memory() as they were. Keras raises on such ids and labels on the CPU
// (tf.gather / SparseSoftmaxCrossEntropyWithLogits: "Received a label value of 3 which is outside
// the valid range of [0, 3)").
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('data checks', () => {
  it('bad labels, ids, sample counts and options are ValueErrors naming the value; nothing changes or leaks', async () => {
    const out = await gpu.run(async (wg) => {
      const { Dense, Embedding, Flatten } = wg.layers;
      wg.setSeed(1);
      const classifier = new wg.Sequential([new Dense(3, { activation: 'softmax', inputShape: [2] })]);
      classifier.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      const language = new wg.Sequential([new Embedding(10, 4, { name: 'tokens', inputShape: [3] }), new Flatten(), new Dense(2, { activation: 'softmax' })]);
      language.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      const x = wg.tensor([[1, 2], [2, 3], [3, 4], [4, 5]]);
      const ids = (values: number[]) => wg.tensor(values, [2, 3], 'int32');
      const goodIds = ids([0, 1, 2, 9, 8, 7]);
      const pairLabels = wg.tensor([0, 1], [2], 'int32');
      const snapshot = async () => Promise.all([...classifier.getWeights(), ...language.getWeights()].map(async (w) => {
        const values = Array.from(await w.data());
        w.dispose();
        return values;
      }));
      // Every tensor the cases use exists before the count is taken and is disposed after.
      const labels = wg.tensor([0, 1, 2, 1]);
      const data = {
        fractional: wg.tensor([0, 1.5, 2, 1]),
        nanColumn: wg.tensor([[0], [1], [2], [NaN]]),
        tooLarge: wg.tensor([0, 1, 2, 3], [4], 'int32'),
        idsPastEnd: ids([0, 1, 2, 3, 4, 10]),
        idsNegative: ids([-1, 1, 2, 3, 4, 5]),
        idsInBatch: ids([0, 1, 2, 3, 40, 5]),
        idsInValidation: ids([0, 1, 2, 3, 4, 11]),
        emptyX: wg.zeros([0, 2]),
        emptyY: wg.zeros([0], 'int32'),
      };
      const before = await snapshot();
      const count = wg.memory().numTensors;
      const cases: Record<string, () => unknown> = {
        fractionalLabel: () => classifier.fit(x, data.fractional, { verbose: 0 }),
        nanLabelColumn: () => classifier.evaluate(x, data.nanColumn),
        labelTooLarge: () => classifier.trainOnBatch(x, data.tooLarge),
        idTooLarge: () => language.fit(data.idsPastEnd, pairLabels, { verbose: 0 }),
        idNegative: () => language.evaluate(data.idsNegative, pairLabels),
        idInBatch: () => language.trainOnBatch(data.idsInBatch, pairLabels),
        idInValidation: () => language.fit(goodIds, pairLabels, { verbose: 0, validationData: [data.idsInValidation, pairLabels] }),
        emptyFit: () => classifier.fit(data.emptyX, data.emptyY, { verbose: 0 }),
        emptyEvaluate: () => classifier.evaluate(data.emptyX, data.emptyY),
        emptyStep: () => classifier.trainOnBatch(data.emptyX, data.emptyY),
        fractionalEpochs: () => classifier.fit(x, labels, { epochs: 1.5, verbose: 0 }),
        negativeEpochs: () => classifier.fit(x, labels, { epochs: -1, verbose: 0 }),
        nanEpochs: () => classifier.fit(x, labels, { epochs: NaN, verbose: 0 }),
        fractionalBatch: () => classifier.fit(x, labels, { batchSize: 2.5, verbose: 0 }),
        negativeBatch: () => classifier.fit(x, labels, { batchSize: -4, verbose: 0 }),
        nanBatch: () => classifier.evaluate(x, labels, { batchSize: NaN }),
        negativeSplit: () => classifier.fit(x, labels, { validationSplit: -0.1, verbose: 0 }),
        nanSplit: () => classifier.fit(x, labels, { validationSplit: NaN, verbose: 0 }),
        wholeSplit: () => classifier.fit(x, labels, { validationSplit: 1, verbose: 0 }),
        emptyTrainingSplit: () => classifier.fit(x, labels, { validationSplit: 0.9, verbose: 0 }),
        negativeInitialEpoch: () => classifier.fit(x, labels, { initialEpoch: -1, verbose: 0 }),
        badVerbose: () => classifier.fit(x, labels, { verbose: 3 as 0 }),
      };
      const errors: Record<string, string> = {};
      for (const [name, run] of Object.entries(cases)) {
        try {
          await run();
          errors[name] = 'no error';
        } catch (error) {
          errors[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      const after = await snapshot();
      const leaked = wg.memory().numTensors - count;
      // Good data still trains, and the sparse-label and id checks release what they read.
      const y = wg.tensor([0, 1, 2, 1], [4], 'int32');
      await classifier.fit(x, y, { epochs: 1, verbose: 0 });
      await language.fit(goodIds, pairLabels, { epochs: 1, verbose: 0 });
      const trained = wg.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        await classifier.fit(x, y, { epochs: 1, verbose: 0 });
        await classifier.evaluate(x, y);
        await language.evaluate(goodIds, pairLabels);
      }
      const leakedByChecks = wg.memory().numTensors - trained;
      // predict is synchronous and reads nothing back: an Embedding clamps an id past the table to
      // its last row there (gather's GPU rule, documented), so ids 9 and 12 predict alike.
      const clamped = wg.tidy(() => {
        const prediction = language.predict(ids([0, 1, 9, 0, 1, 12]));
        return wg.sub(prediction.slice([0, 0], [1, 2]), prediction.slice([1, 0], [1, 2]));
      });
      const clampGap = Array.from(await clamped.data());
      clamped.dispose();
      const inputShapes: Record<string, string> = {};
      for (const shape of [[-3], [2.5], [NaN], [0, 4]]) {
        try {
          new Dense(3, { name: 'shaped', inputShape: shape });
          inputShapes[String(shape)] = 'no error';
        } catch (error) {
          inputShapes[String(shape)] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      [x, goodIds, pairLabels, y, labels, ...Object.values(data)].forEach((t) => t.dispose());
      classifier.dispose();
      language.dispose();
      return { errors, unchanged: JSON.stringify(after) === JSON.stringify(before), leaked, leakedByChecks, clampGap, inputShapes, end: wg.memory().numTensors };
    });
    const sparse = 'sparse_categorical_crossentropy takes integer class indices in [0, 2]';
    const tokens = "Embedding 'tokens' takes token ids in [0, 9]";
    const nonNegative = (op: string, name: string, value: string) => `ValueError: ${op}: ${name} must be a non-negative integer, got ${value}`;
    const positive = (op: string, name: string, value: string) => `ValueError: ${op}: ${name} must be a positive integer, got ${value}`;
    const split = (value: string) => `ValueError: fit: validationSplit must be a number in [0, 1), got ${value}`;
    expect(out.errors).toEqual({
      fractionalLabel: `ValueError: fit: ${sparse}; y[1] is 1.5`,
      nanLabelColumn: `ValueError: evaluate: ${sparse}; y[3,0] is NaN`,
      labelTooLarge: `ValueError: trainOnBatch: ${sparse}; y[3] is 3`,
      idTooLarge: `ValueError: fit: ${tokens}; x[1,2] is 10`,
      idNegative: `ValueError: evaluate: ${tokens}; x[0,0] is -1`,
      idInBatch: `ValueError: trainOnBatch: ${tokens}; x[1,1] is 40`,
      idInValidation: `ValueError: fit (validationData): ${tokens}; x[1,2] is 11`,
      emptyFit: 'ValueError: fit: x has 0 samples [0,2]',
      emptyEvaluate: 'ValueError: evaluate: x has 0 samples [0,2]',
      emptyStep: 'ValueError: trainOnBatch: x has 0 samples [0,2]',
      fractionalEpochs: nonNegative('fit', 'epochs', '1.5'),
      negativeEpochs: nonNegative('fit', 'epochs', '-1'),
      nanEpochs: nonNegative('fit', 'epochs', 'NaN'),
      fractionalBatch: positive('fit', 'batchSize', '2.5'),
      negativeBatch: positive('fit', 'batchSize', '-4'),
      nanBatch: positive('evaluate', 'batchSize', 'NaN'),
      negativeSplit: split('-0.1'),
      nanSplit: split('NaN'),
      wholeSplit: split('1'),
      emptyTrainingSplit: 'ValueError: fit: validationSplit 0.9 of 4 samples leaves an empty training or validation set',
      negativeInitialEpoch: nonNegative('fit', 'initialEpoch', '-1'),
      badVerbose: 'ValueError: fit: verbose must be 0, 1 or 2, got 3',
    });
    expect(out.unchanged).toBe(true);
    expect(out.leaked).toBe(0);
    expect(out.leakedByChecks).toBe(0);
    expect(out.clampGap).toEqual([0, 0]);
    const shapeError = (shape: string) => `ValueError: shaped: inputShape must be an array of positive integers (without the batch dimension), got ${shape}`;
    expect(out.inputShapes).toEqual({ '-3': shapeError('[-3]'), '2.5': shapeError('[2.5]'), NaN: shapeError('[NaN]'), '0,4': shapeError('[0,4]') });
    expect(out.end).toBe(0);
  });
});
