// fit's callbacks and the features built on them: hook counts and logs, EarlyStopping,
// stopTraining from a batch hook, validation logs against a separate evaluate(), initialEpoch,
// and what a non-finite loss does with and without TerminateOnNaN.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32 } from '../reference';

const gpu = useGpuPage();

/** 10 samples of 3 features and 0/1 labels, fixed. */
function dataset(n: number, seed: number): { x: number[][]; y: number[] } {
  const rng = mulberry32(seed);
  const x = Array.from({ length: n }, () => [rng() * 2 - 1, rng() * 2 - 1, rng() * 2 - 1]);
  return { x, y: x.map(([a, b, c]) => (a + b * c > 0 ? 1 : 0)) };
}

describe('callback hooks', () => {
  it('each hook runs the right number of times with numeric logs; the epoch loss is the size-weighted mean of the batch losses', async () => {
    const data = dataset(10, 1);
    const out = await gpu.run(async (wg, { x: xRows, y: labels }) => {
      wg.setSeed(1);
      const model = new wg.Sequential([new wg.layers.Dense(4, { activation: 'tanh', inputShape: [3] }), new wg.layers.Dense(1, { activation: 'sigmoid' })]);
      model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
      const x = wg.tensor(xRows);
      const y = wg.tensor(labels.map((v) => [v]));
      const calls: { hook: string; index: number | null; logs: Record<string, number> }[] = [];
      const history = await model.fit(x, y, {
        epochs: 3,
        batchSize: 3, // 10 samples: batches of 3, 3, 3 and 1
        verbose: 0,
        callbacks: {
          onTrainBegin: (logs) => void calls.push({ hook: 'trainBegin', index: null, logs: { ...logs } }),
          onTrainEnd: (logs) => void calls.push({ hook: 'trainEnd', index: null, logs: { ...logs } }),
          onEpochBegin: (epoch, logs) => void calls.push({ hook: 'epochBegin', index: epoch, logs: { ...logs } }),
          onEpochEnd: (epoch, logs) => void calls.push({ hook: 'epochEnd', index: epoch, logs: { ...logs } }),
          // An async hook: fit awaits it.
          onBatchEnd: async (batch, logs) => {
            await new Promise((resolve) => setTimeout(resolve, 1));
            calls.push({ hook: 'batchEnd', index: batch, logs: { ...logs } });
          },
        },
      });
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { calls, history: history.history, epochs: history.epoch };
    }, data);
    const sequence = out.calls.map((call) => `${call.hook}${call.index ?? ''}`);
    const epoch = (e: number) => [`epochBegin${e}`, 'batchEnd0', 'batchEnd1', 'batchEnd2', 'batchEnd3', `epochEnd${e}`];
    expect(sequence).toEqual(['trainBegin', ...epoch(0), ...epoch(1), ...epoch(2), 'trainEnd']);
    for (const call of out.calls.filter((c) => c.hook === 'batchEnd' || c.hook === 'epochEnd')) {
      expect(Object.keys(call.logs).sort()).toEqual(['accuracy', 'loss']);
      for (const value of Object.values(call.logs)) expect(Number.isFinite(value)).toBe(true);
    }
    const sizes = [3, 3, 3, 1];
    for (let e = 0; e < 3; e++) {
      const batches = out.calls.filter((c) => c.hook === 'batchEnd').slice(4 * e, 4 * e + 4);
      const epochLogs = out.calls.find((c) => c.hook === 'epochEnd' && c.index === e)!.logs;
      const weightedMean = (key: string) => batches.reduce((sum, b, i) => sum + sizes[i] * b.logs[key], 0) / 10;
      // A float32 weighted sum of four values against float64: 1e-6 relative.
      expect(epochLogs.loss).toBeCloseTo(weightedMean('loss'), 6);
      expect(epochLogs.accuracy).toBeCloseTo(weightedMean('accuracy'), 6);
      expect(out.history.loss[e]).toBe(epochLogs.loss);
      // A batch's accuracy is a fraction of its own samples.
      batches.forEach((b, i) => expect(b.logs.accuracy * sizes[i]).toBeCloseTo(Math.round(b.logs.accuracy * sizes[i]), 5));
    }
    expect(out.epochs).toEqual([0, 1, 2]);
    // onTrainEnd receives the last epoch's logs.
    expect(out.calls.at(-1)!.logs).toEqual(out.calls.at(-2)!.logs);
  });

  it('EarlyStopping stops after `patience` epochs without improvement, and resets when reused', async () => {
    const data = dataset(10, 2);
    const out = await gpu.run(async (wg, { x: xRows, y: labels }) => {
      wg.setSeed(2);
      const model = new wg.Sequential([new wg.layers.Dense(1, { activation: 'sigmoid', inputShape: [3] })]);
      // A learning rate of 0 keeps the loss exactly constant: epoch 0 sets the best, and no later
      // epoch improves on it.
      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate: 0 }), loss: 'binary_crossentropy' });
      const x = wg.tensor(xRows);
      const y = wg.tensor(labels.map((v) => [v]));
      const results = [];
      for (const patience of [0, 2, 3]) {
        const stopper = new wg.EarlyStopping({ monitor: 'loss', patience });
        // Full batches: shuffled batches would change the epoch mean's float32 rounding, and a
        // difference in the last bit counts as an improvement.
        const first = await model.fit(x, y, { epochs: 20, batchSize: 10, verbose: 0, callbacks: [stopper] });
        const firstStopped = stopper.stoppedEpoch;
        // The same callback in a second fit starts over (best, wait) rather than stopping at once.
        const second = await model.fit(x, y, { epochs: 20, batchSize: 10, verbose: 0, callbacks: [stopper] });
        results.push({ patience, firstLength: first.loss.length, firstStopped, secondLength: second.loss.length, secondStopped: stopper.stoppedEpoch });
      }
      // A loss that keeps improving never stops training.
      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate: 0.5 }), loss: 'binary_crossentropy' });
      const improving = new wg.EarlyStopping({ monitor: 'loss', patience: 1 });
      const improvingHistory = await model.fit(x, y, { epochs: 8, batchSize: 10, verbose: 0, callbacks: [improving] });
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { results, improving: { length: improvingHistory.loss.length, stopped: improving.stoppedEpoch, loss: improvingHistory.loss } };
    }, data);
    for (const { patience, firstLength, firstStopped, secondLength, secondStopped } of out.results) {
      // Keras: wait counts non-improving epochs and stops once wait ≥ patience (at least one).
      const stopEpoch = Math.max(patience, 1);
      expect({ patience, firstStopped, firstLength }).toEqual({ patience, firstStopped: stopEpoch, firstLength: stopEpoch + 1 });
      expect({ patience, secondStopped, secondLength }).toEqual({ patience, secondStopped: stopEpoch, secondLength: stopEpoch + 1 });
    }
    for (let i = 1; i < out.improving.loss.length; i++) expect(out.improving.loss[i]).toBeLessThan(out.improving.loss[i - 1]);
    expect(out.improving).toMatchObject({ length: 8, stopped: null });
  });

  it('model.stopTraining = true in onBatchEnd stops after that batch', async () => {
    const data = dataset(10, 3);
    const out = await gpu.run(async (wg, { x: xRows, y: labels }) => {
      wg.setSeed(3);
      const model = new wg.Sequential([new wg.layers.Dense(1, { activation: 'sigmoid', inputShape: [3] })]);
      model.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
      const x = wg.tensor(xRows);
      const y = wg.tensor(labels.map((v) => [v]));
      const batches: number[] = [];
      const epochsEnded: number[] = [];
      const history = await model.fit(x, y, {
        epochs: 5,
        batchSize: 2,
        verbose: 0,
        callbacks: {
          onBatchEnd: (batch) => {
            batches.push(batch);
            if (batches.length === 7) model.stopTraining = true; // epoch 1, batch 1
          },
          onEpochEnd: (epoch) => void epochsEnded.push(epoch),
        },
      });
      const iterations = model.optimizer!.iterations;
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { batches, epochsEnded, historyEpochs: history.epoch, iterations, loss: history.loss };
    }, data);
    expect(out.batches).toEqual([0, 1, 2, 3, 4, 0, 1]);
    expect(out.iterations).toBe(7);
    expect(out.epochsEnded).toEqual([0, 1]);
    expect(out.historyEpochs).toEqual([0, 1]);
    expect(out.loss.every(Number.isFinite)).toBe(true);
  });

  it('initialEpoch resumes the epoch count: hooks and history see epochs initialEpoch … epochs − 1', async () => {
    const data = dataset(10, 4);
    const out = await gpu.run(async (wg, { x: xRows, y: labels }) => {
      wg.setSeed(4);
      const model = new wg.Sequential([new wg.layers.Dense(1, { activation: 'sigmoid', inputShape: [3] })]);
      model.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
      const x = wg.tensor(xRows);
      const y = wg.tensor(labels.map((v) => [v]));
      const begun: number[] = [];
      const history = await model.fit(x, y, { epochs: 5, initialEpoch: 2, batchSize: 10, verbose: 0, callbacks: { onEpochBegin: (e) => void begun.push(e) } });
      const iterations = model.optimizer!.iterations;
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { begun, epochs: history.epoch, losses: history.loss.length, iterations };
    }, data);
    expect(out).toEqual({ begun: [2, 3, 4], epochs: [2, 3, 4], losses: 3, iterations: 3 });
  });
});

describe('validation', () => {
  it('validationSplit holds out the last samples; val_loss and val_accuracy match evaluate() on them', async () => {
    const data = dataset(20, 5);
    const out = await gpu.run(async (wg, { x: xRows, y: labels }) => {
      wg.setSeed(5);
      const model = new wg.Sequential([new wg.layers.Dense(6, { activation: 'relu', inputShape: [3] }), new wg.layers.Dense(1, { activation: 'sigmoid' })]);
      model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
      const x = wg.tensor(xRows);
      const y = wg.tensor(labels.map((v) => [v]));
      const perEpoch: { logs: Record<string, number>; validation: Record<string, number>; training: Record<string, number> }[] = [];
      // 20 × (1 − 0.25) = 15 training samples, the last 5 held out.
      const xTrain = wg.tensor(xRows.slice(0, 15));
      const yTrain = wg.tensor(labels.slice(0, 15).map((v) => [v]));
      const xVal = wg.tensor(xRows.slice(15));
      const yVal = wg.tensor(labels.slice(15).map((v) => [v]));
      const history = await model.fit(x, y, {
        epochs: 3,
        batchSize: 4,
        validationSplit: 0.25,
        verbose: 0,
        callbacks: {
          onEpochEnd: async (_epoch, logs) => {
            perEpoch.push({ logs: { ...logs }, validation: await model.evaluate(xVal, yVal, { batchSize: 4 }), training: await model.evaluate(xTrain, yTrain) });
          },
        },
      });
      [x, y, xTrain, yTrain, xVal, yVal].forEach((t) => t.dispose());
      model.dispose();
      return { perEpoch, keys: Object.keys(history.history).sort(), valLoss: history.val_loss, valAccuracy: history.val_accuracy };
    }, data);
    expect(out.keys).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(out.valLoss).toHaveLength(3);
    for (const { logs, validation, training } of out.perEpoch) {
      // The same forward pass on the same 5 samples after the epoch's last update: float32 rounding only.
      expect(logs.val_loss).toBeCloseTo(validation.loss, 6);
      expect(logs.val_accuracy).toBe(validation.accuracy);
      // The held-out samples are really held out: the validation figures are not the training ones.
      expect(logs.val_loss).not.toBeCloseTo(training.loss, 3);
    }
  });

  it('validationData gives val_ logs equal to evaluate() on that data', async () => {
    const train = dataset(12, 6);
    const validation = dataset(7, 7);
    const out = await gpu.run(async (wg, { train, validation }) => {
      wg.setSeed(6);
      const model = new wg.Sequential([new wg.layers.Dense(3, { activation: 'sigmoid', inputShape: [3] }), new wg.layers.Dense(1, { activation: 'sigmoid' })]);
      model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
      const [x, y] = [wg.tensor(train.x), wg.tensor(train.y.map((v) => [v]))];
      const [xVal, yVal] = [wg.tensor(validation.x), wg.tensor(validation.y.map((v) => [v]))];
      const history = await model.fit(x, y, { epochs: 2, batchSize: 5, validationData: [xVal, yVal], verbose: 0 });
      const evaluated = await model.evaluate(xVal, yVal);
      [x, y, xVal, yVal].forEach((t) => t.dispose());
      model.dispose();
      return { valLoss: history.val_loss, valAccuracy: history.val_accuracy, evaluated };
    }, { train, validation });
    expect(out.valLoss).toHaveLength(2);
    // fit validates in batches of 5, evaluate in one batch of 7: float32 summation order only.
    expect(out.valLoss[1]).toBeCloseTo(out.evaluated.loss, 6);
    expect(out.valAccuracy[1]).toBeCloseTo(out.evaluated.accuracy, 6);
  });
});

describe('non-finite losses', () => {
  it('NaN in x throws NonFiniteLossError naming the epoch and batch; TerminateOnNaN stops without throwing', async () => {
    const data = dataset(8, 8);
    data.x[5][1] = NaN; // row 5: batch index 2 with batches of 2, unshuffled
    const out = await gpu.run(async (wg, { x: xRows, y: labels }) => {
      wg.setSeed(8);
      const x = wg.tensor(xRows);
      const y = wg.tensor(labels.map((v) => [v]));
      const model = () => {
        // Linear layers carry NaN through to the loss.
        const m = new wg.Sequential([new wg.layers.Dense(2, { inputShape: [3] }), new wg.layers.Dense(1)]);
        m.compile({ optimizer: 'sgd', loss: 'mse' });
        return m;
      };
      let thrown = '';
      try {
        await model().fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
      } catch (error) {
        thrown = `${(error as Error).name}: ${(error as Error).message}`;
      }
      const terminate = new wg.TerminateOnNaN();
      const terminated = model();
      const batches: number[] = [];
      const history = await terminated.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0, callbacks: [terminate, { onBatchEnd: (b) => void batches.push(b) }] });
      [x, y].forEach((t) => t.dispose());
      return { thrown, terminatedAt: terminate.terminatedAt, batches, historyLength: history.loss.length, iterations: terminated.optimizer!.iterations };
    }, data);
    expect(out.thrown).toMatch(/^NonFiniteLossError: .*NaN at epoch 1, batch 3\b/);
    expect(out.terminatedAt).toEqual({ batch: 2 });
    expect(out.batches).toEqual([0, 1, 2]);
    expect(out.historyLength).toBe(1);
    expect(out.iterations).toBe(3);
  });

  it('a diverging learning rate throws NonFiniteLossError even when no callback reads the logs', async () => {
    const data = dataset(8, 9);
    const message = await gpu.run(async (wg, { x: xRows, y: labels }) => {
      wg.setSeed(9);
      const model = new wg.Sequential([new wg.layers.Dense(4, { inputShape: [3] }), new wg.layers.Dense(1)]);
      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate: 1e6 }), loss: 'mse' });
      const x = wg.tensor(xRows);
      const y = wg.tensor(labels.map((v) => [v]));
      try {
        await model.fit(x, y, { epochs: 200, batchSize: 4, verbose: 0 });
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      } finally {
        [x, y].forEach((t) => t.dispose());
      }
    }, data);
    expect(message).toMatch(/^NonFiniteLossError: fit: the loss became (NaN|Infinity) at epoch \d+, batch [12]\b/);
  });
});
