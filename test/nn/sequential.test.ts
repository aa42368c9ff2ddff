// Sequential's structure and its error messages: summary tables against parameter counts computed
// here, shape checks when layers are stacked and when data meets the model, and names that are
// unknown; then the layers themselves (Flatten, Activation, Dropout) against a float64 forward
// pass, batched predict, and trainOnBatch.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose } from '../reference';
import { activate, dense, matrix } from './dense-reference';

const gpu = useGpuPage();

interface SummaryRow {
  name: string;
  type: string;
  outputShape: string;
  params: number;
}

/** Reads the layer rows and totals out of model.summary()'s table. */
function parseSummary(text: string): { rows: SummaryRow[]; total: number; trainable: number; nonTrainable: number } {
  const rows: SummaryRow[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\S+) \((\w+)\)\s+(\(None(?:, \d+)*\)|\?)\s+(\d+)$/.exec(line.trim());
    if (match) rows.push({ name: match[1], type: match[2], outputShape: match[3], params: Number(match[4]) });
  }
  const total = (label: string): number => Number(new RegExp(`^${label} params: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { rows, total: total('Total'), trainable: total('Trainable'), nonTrainable: total('Non-trainable') };
}

/** Keras's count for Dense: a kernel [in, units] plus a bias [units]. */
const denseParams = (inputs: number, units: number, useBias = true): number => inputs * units + (useBias ? units : 0);

describe('summary', () => {
  it('lists each layer with its output shape and parameter count, and the totals', async () => {
    const summaries = await gpu.run((wg) => {
      const { Dense, Dropout, Flatten, Activation } = wg.layers;
      const models = [
        new wg.Sequential([new Dense(2, { activation: 'sigmoid', inputShape: [2] }), new Dense(1, { activation: 'sigmoid' })]),
        new wg.Sequential([
          new Flatten({ inputShape: [4, 5] }),
          new Dense(10, { useBias: false, activation: 'relu' }),
          new Dropout(0.25),
          new Dense(3),
          new Activation('softmax'),
        ]),
        // Dense on a rank-3 sample acts on the last axis.
        new wg.Sequential([new Dense(4, { inputShape: [5, 7] }), new Dense(6, { activation: 'tanh' })]),
      ];
      const result = models.map((model) => ({ text: model.summary(), countParams: model.countParams() }));
      models.forEach((model) => model.dispose());
      return result;
    });
    const expected = [
      [
        { type: 'Dense', outputShape: '(None, 2)', params: denseParams(2, 2) },
        { type: 'Dense', outputShape: '(None, 1)', params: denseParams(2, 1) },
      ],
      [
        { type: 'Flatten', outputShape: '(None, 20)', params: 0 },
        { type: 'Dense', outputShape: '(None, 10)', params: denseParams(20, 10, false) },
        { type: 'Dropout', outputShape: '(None, 10)', params: 0 },
        { type: 'Dense', outputShape: '(None, 3)', params: denseParams(10, 3) },
        { type: 'Activation', outputShape: '(None, 3)', params: 0 },
      ],
      [
        { type: 'Dense', outputShape: '(None, 5, 4)', params: denseParams(7, 4) },
        { type: 'Dense', outputShape: '(None, 5, 6)', params: denseParams(4, 6) },
      ],
    ];
    summaries.forEach(({ text, countParams }, i) => {
      const parsed = parseSummary(text);
      expect(parsed.rows.map(({ type, outputShape, params }) => ({ type, outputShape, params })), text).toEqual(expected[i]);
      const total = expected[i].reduce((sum, row) => sum + row.params, 0);
      expect(parsed.total).toBe(total);
      expect(parsed.trainable).toBe(total);
      expect(parsed.nonTrainable).toBe(0);
      expect(countParams).toBe(total);
      // Layer names are unique within a model.
      expect(new Set(parsed.rows.map((row) => row.name)).size).toBe(parsed.rows.length);
    });
  });

  it('shows unknown shapes until the first call builds a model without an inputShape', async () => {
    const { before, after } = await gpu.run(async (wg) => {
      const model = new wg.Sequential([new wg.layers.Dense(3), new wg.layers.Dense(2)]);
      const before = model.summary();
      const x = wg.zeros([1, 5]);
      model.predict(x).dispose();
      const after = model.summary();
      x.dispose();
      model.dispose();
      return { before, after };
    });
    expect(parseSummary(before).rows.map((row) => [row.outputShape, row.params])).toEqual([['?', 0], ['?', 0]]);
    expect(parseSummary(after).rows.map((row) => [row.outputShape, row.params])).toEqual([
      ['(None, 3)', denseParams(5, 3)],
      ['(None, 2)', denseParams(3, 2)],
    ]);
  });
});

describe('errors', () => {
  /** Runs each named case in the page and returns "<ErrorName>: <message>" (or 'no error'). */
  const errorsOf = (cases: string): Promise<Record<string, string>> =>
    gpu.run(async (wg, which) => {
      const { Dense } = wg.layers;
      const x = wg.tensor([[1, 2], [2, 3], [3, 4], [4, 5]]);
      const y = wg.tensor([[0], [1], [1], [0]]);
      const model = () => new wg.Sequential([new Dense(3, { activation: 'relu', inputShape: [2] }), new Dense(1, { activation: 'sigmoid' })]);
      const compiled = () => {
        const m = model();
        m.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
        return m;
      };
      const all: Record<string, () => unknown> = {
        conflictingInputShape: () => new wg.Sequential([new Dense(3, { inputShape: [2] }), new Dense(1, { inputShape: [4] })]),
        conflictingAdd: () => model().add(new Dense(2, { inputShape: [7] })),
        layerBuiltElsewhere: () => {
          const shared = new Dense(2);
          new wg.Sequential([new Dense(3, { inputShape: [1] }), shared]);
          return new wg.Sequential([new Dense(5, { inputShape: [1] }), shared]);
        },
        fitBeforeCompile: () => model().fit(x, y),
        evaluateBeforeCompile: () => model().evaluate(x, y),
        fitFeatureMismatch: () => compiled().fit(wg.zeros([4, 3]), y, { verbose: 0 }),
        predictFeatureMismatch: () => model().predict(wg.zeros([4, 3])),
        predictRankMismatch: () => model().predict(wg.zeros([4, 2, 1])),
        predictAfterBuildMismatch: () => {
          const m = new wg.Sequential([new Dense(2)]);
          m.predict(wg.zeros([1, 6]));
          return m.predict(wg.zeros([1, 5]));
        },
        sampleCountMismatch: () => compiled().fit(x, wg.zeros([3, 1]), { verbose: 0 }),
        labelShapeMismatch: () => compiled().fit(x, wg.zeros([4, 2]), { verbose: 0 }),
        sparseLabelTooLarge: () => {
          const m = new wg.Sequential([new Dense(3, { activation: 'softmax', inputShape: [2] })]);
          m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
          return m.fit(x, wg.tensor([0, 1, 3, 2], [4], 'int32'), { verbose: 0 });
        },
        sparseLabelNegative: () => {
          const m = new wg.Sequential([new Dense(3, { activation: 'softmax', inputShape: [2] })]);
          m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
          return m.evaluate(x, wg.tensor([0, -1, 2, 2], [4], 'int32'));
        },
        unknownActivation: () => new Dense(3, { activation: 'swishy' as never }),
        unknownActivationLayer: () => new wg.layers.Activation('swishy' as never),
        unknownInitializer: () => new wg.Sequential([new Dense(3, { kernelInitializer: 'xavierish' as never, inputShape: [2] })]),
        unknownOptimizer: () => model().compile({ optimizer: 'adamax2', loss: 'mse' }),
        unknownLoss: () => model().compile({ optimizer: 'adam', loss: 'hinge2' }),
        badBatchSize: () => compiled().fit(x, y, { batchSize: 0, verbose: 0 }),
        badValidationSplit: () => compiled().fit(x, y, { validationSplit: 1.5, verbose: 0 }),
      };
      const messages: Record<string, string> = {};
      for (const name of which.split(',')) {
        try {
          await all[name]();
          messages[name] = 'no error';
        } catch (error) {
          messages[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      return messages;
    }, cases);

  it('stacking layers whose shapes conflict throws a ShapeError naming both shapes', async () => {
    const errors = await errorsOf('conflictingInputShape,conflictingAdd,layerBuiltElsewhere');
    expect(errors.conflictingInputShape).toMatch(/^ShapeError: .*expects input \[4\].*outputs \[3\]/);
    expect(errors.conflictingAdd).toMatch(/^ShapeError: .*expects input \[7\].*outputs \[1\]/);
    expect(errors.layerBuiltElsewhere).toMatch(/^ValueError: .*already built for input \[3\].*\[5\]/);
  });

  it('data that does not fit the model names the shapes; training before compile says what to do', async () => {
    const errors = await errorsOf(
      'fitBeforeCompile,evaluateBeforeCompile,fitFeatureMismatch,predictFeatureMismatch,predictRankMismatch,' +
        'predictAfterBuildMismatch,sampleCountMismatch,labelShapeMismatch,badBatchSize,badValidationSplit',
    );
    expect(errors.fitBeforeCompile).toMatch(/^ValueError: fit: call model\.compile\(/);
    expect(errors.evaluateBeforeCompile).toMatch(/^ValueError: evaluate: call model\.compile\(/);
    expect(errors.fitFeatureMismatch).toMatch(/^ShapeError: fit: .*\[batch,2\].*\[4,3\]/);
    expect(errors.predictFeatureMismatch).toMatch(/^ShapeError: predict: .*\[batch,2\].*\[4,3\]/);
    expect(errors.predictRankMismatch).toMatch(/^ShapeError: predict: .*\[batch,2\].*\[4,2,1\]/);
    expect(errors.predictAfterBuildMismatch).toMatch(/^ShapeError: predict: .*\[batch,6\].*\[1,5\]/);
    expect(errors.sampleCountMismatch).toMatch(/^ShapeError: fit: x has 4 samples \[4,2\] but y has 3 \[3,1\]/);
    expect(errors.labelShapeMismatch).toMatch(/^ShapeError: fit: y has shape \[4,2\].*\[batch,1\]/);
    expect(errors.badBatchSize).toMatch(/^ValueError: fit: batchSize must be a positive integer, got 0/);
    expect(errors.badValidationSplit).toMatch(/^ValueError: fit: validationSplit must be a number in \[0, 1\), got 1\.5/);
  });

  it('sparse labels outside [0, classes) are rejected naming the range, the first bad value and its index', async () => {
    const errors = await errorsOf('sparseLabelTooLarge,sparseLabelNegative');
    expect(errors.sparseLabelTooLarge).toBe('ValueError: fit: sparse_categorical_crossentropy takes integer class indices in [0, 2]; y[2] is 3');
    expect(errors.sparseLabelNegative).toBe('ValueError: evaluate: sparse_categorical_crossentropy takes integer class indices in [0, 2]; y[1] is -1');
  });

  it('unknown activation, initializer, optimizer and loss names list the known ones', async () => {
    const errors = await errorsOf('unknownActivation,unknownActivationLayer,unknownInitializer,unknownOptimizer,unknownLoss');
    for (const name of ['unknownActivation', 'unknownActivationLayer']) {
      expect(errors[name]).toMatch(/^ValueError: unknown activation 'swishy'; known: .*relu.*sigmoid.*tanh.*softmax/);
    }
    expect(errors.unknownInitializer).toMatch(/^ValueError: unknown initializer 'xavierish'; known: .*glorotUniform.*heNormal.*zeros/);
    expect(errors.unknownOptimizer).toMatch(/^ValueError: .*unknown optimizer "adamax2"; known: .*sgd.*adam.*rmsprop/);
    expect(errors.unknownLoss).toMatch(/^ValueError: .*unknown loss "hinge2"; known: .*mean_squared_error.*binary_crossentropy/);
  });
});

describe('layers', () => {
  it('Flatten → Dense → Activation match a float64 forward pass of the same weights', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(3);
      const model = new wg.Sequential([
        new wg.layers.Flatten({ inputShape: [2, 3] }),
        new wg.layers.Dense(4, { activation: 'tanh', biasInitializer: 'ones' }),
        new wg.layers.Dense(3),
        new wg.layers.Activation('softmax'),
      ]);
      const x = wg.randn([5, 2, 3]);
      const prediction = model.predict(x);
      const weights = model.getWeights();
      const result = {
        x: await x.data(),
        weights: await Promise.all(weights.map((w) => w.data())),
        shapes: weights.map((w) => w.shape),
        prediction: await prediction.data(),
        predictionShape: prediction.shape,
      };
      [x, prediction, ...weights].forEach((t) => t.dispose());
      model.dispose();
      return result;
    });
    expect(out.shapes).toEqual([[6, 4], [4], [4, 3], [3]]);
    expect(out.predictionShape).toEqual([5, 3]);
    const [k1, b1, k2, b2] = out.weights;
    const hidden = dense(matrix(5, 6, out.x), matrix(6, 4, k1), b1, 'tanh');
    const expected = activate(dense(hidden, matrix(4, 3, k2), b2, 'linear'), 'softmax');
    // float32 forward of a 6→4→3 net: a few ulps per op, well inside 1e-5 relative.
    expectClose(out.prediction, expected.data, { rtol: 1e-5, atol: 1e-6 }, 'softmax outputs');
  });

  it('Dropout is the identity in predict, and in training zeroes about `rate` of the elements and rescales the rest', async () => {
    const rate = 0.3;
    const n = 20000;
    const out = await gpu.run(async (wg, { rate, n }) => {
      wg.setSeed(11);
      const model = new wg.Sequential([new wg.layers.Dropout(rate, { inputShape: [n / 4] })]);
      const x = wg.add(wg.rand([4, n / 4]), 0.5);
      const first = model.predict(x);
      const second = model.predict(x);
      const trained = model.apply(x, { training: true });
      const trainedAgain = model.apply(x, { training: true });
      const result = {
        x: await x.data(),
        first: await first.data(),
        second: await second.data(),
        trained: await trained.data(),
        trainedAgain: await trainedAgain.data(),
      };
      [x, first, second, trained, trainedAgain].forEach((t) => t.dispose());
      return result;
    }, { rate, n });
    expect(Array.from(out.first)).toEqual(Array.from(out.x));
    expect(Array.from(out.second)).toEqual(Array.from(out.x));
    let zeros = 0;
    let sumIn = 0;
    let sumOut = 0;
    let sameMask = 0;
    for (let i = 0; i < n; i++) {
      sumIn += out.x[i];
      sumOut += out.trained[i];
      if (out.trained[i] === 0) zeros++;
      // Every kept element is x / (1 − rate), to float32 rounding.
      else expect(Math.abs(out.trained[i] - out.x[i] / (1 - rate))).toBeLessThan(1e-6 * out.trained[i]);
      if ((out.trained[i] === 0) === (out.trainedAgain[i] === 0)) sameMask++;
    }
    // Zeros ~ Binomial(n, rate): sd = sqrt(n·rate·(1−rate)) ≈ 65; allow 5 sd.
    const sd = Math.sqrt(n * rate * (1 - rate));
    expect(Math.abs(zeros - n * rate)).toBeLessThan(5 * sd);
    // The mean is preserved: E[out] = E[x]. Var of the mean's estimate per element ≤ x²·rate/(1−rate)
    // with x ≤ 1.5, so sd(mean) ≤ 1.5·sqrt(rate/(1−rate)/n) ≈ 0.0069; allow 5 sd.
    expect(Math.abs(sumOut / n - sumIn / n)).toBeLessThan(5 * 1.5 * Math.sqrt(rate / (1 - rate) / n));
    // Two training calls draw different masks (agreement would be ≈ rate² + (1−rate)² = 58%).
    expect(sameMask / n).toBeLessThan(0.7);
  });

  it('predict in batches smaller than n equals predict in one batch', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(5);
      const model = new wg.Sequential([
        new wg.layers.Dense(16, { activation: 'relu', inputShape: [3] }),
        new wg.layers.Dense(2, { activation: 'sigmoid' }),
      ]);
      const x = wg.randn([70, 3]);
      const whole = model.predict(x, { batchSize: 70 });
      const batched = [7, 32, 69].map((batchSize) => model.predict(x, { batchSize }));
      const result = { whole: await whole.data(), batched: await Promise.all(batched.map((t) => t.data())), shapes: batched.map((t) => t.shape) };
      [x, whole, ...batched].forEach((t) => t.dispose());
      model.dispose();
      return result;
    });
    for (const [i, values] of out.batched.entries()) {
      expect(out.shapes[i]).toEqual([70, 2]);
      // Rows are computed independently; a matmul kernel chosen by shape may only reorder a
      // 16-term sum, so allow float32 rounding of that (≈ 1e-6 relative).
      expectClose(values, out.whole, { rtol: 1e-5, atol: 1e-7 }, `batchSize ${[7, 32, 69][i]}`);
    }
  });

  it('trainOnBatch returns the loss and metrics before its update, and takes one optimizer step', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(9);
      const model = new wg.Sequential([new wg.layers.Dense(4, { activation: 'tanh', inputShape: [2] }), new wg.layers.Dense(1, { activation: 'sigmoid' })]);
      model.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['accuracy'] });
      const x = wg.tensor([[1, 2], [2, 3], [3, 4], [4, 5], [-1, 0]]);
      const y = wg.tensor([[0], [1], [1], [0], [1]]);
      const before = await model.evaluate(x, y);
      const logs = await model.trainOnBatch(x, y);
      const after = await model.evaluate(x, y);
      const iterations = model.optimizer?.iterations;
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { before, logs, after, iterations };
    });
    expect(Object.keys(out.logs).sort()).toEqual(['accuracy', 'loss']);
    expect(typeof out.logs.loss).toBe('number');
    // Same forward pass on the same weights: equal up to float32 rounding.
    expect(out.logs.loss).toBeCloseTo(out.before.loss, 6);
    expect(out.logs.accuracy).toBe(out.before.accuracy);
    expect(out.iterations).toBe(1);
    expect(out.after.loss).toBeLessThan(out.before.loss);
  });
});
