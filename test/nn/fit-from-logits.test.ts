// fit / evaluate compute (sparse) categorical cross-entropy from a softmax output's logits, as
// Keras's TensorFlow backend does (keras/src/backend/tensorflow/nn.py: softmax tags its output with
// `_keras_logits`, and `_get_logits` hands them to categorical_crossentropy with from_logits=True).
// References: a float64 simulation of full-batch SGD on a one-layer softmax model, its loss from
// log-sum-exp, its gradient (softmax(z) − onehot)/N; and Keras's clipped form in float64
// (−log clip(p, 1e-7, 1 − 1e-7)) for what the user-facing loss functions keep computing.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32 } from '../reference';

const gpu = useGpuPage();

const FEATURES = 4;
const CLASSES = 3;
const SAMPLES = 8;
const LEARNING_RATE = 0.5;
const EPOCHS = 3;

interface Problem { x: number[][]; labels: number[]; kernel: number[][]; bias: number[] }

/** Inputs in [−1, 1), labels in [0, 3), weights in [−scale, scale): scale 30 makes logits tens apart. */
function problem(seed: number, scale: number): Problem {
  const rng = mulberry32(seed);
  const uniform = (s: number): number => s * (2 * rng() - 1);
  return {
    x: Array.from({ length: SAMPLES }, () => Array.from({ length: FEATURES }, () => uniform(1))),
    labels: Array.from({ length: SAMPLES }, () => Math.floor(rng() * CLASSES)),
    kernel: Array.from({ length: FEATURES }, () => Array.from({ length: CLASSES }, () => uniform(scale))),
    bias: Array.from({ length: CLASSES }, () => uniform(scale / 10)),
  };
}

function logits({ x, kernel, bias }: Problem): number[][] {
  return x.map((row) => bias.map((b, c) => row.reduce((s, v, f) => s + v * kernel[f][c], b)));
}

function logSoftmaxRow(z: number[]): number[] {
  const max = Math.max(...z);
  const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
  return z.map((v) => v - lse);
}

/**
 * Each epoch's loss (log-sum-exp form) and accuracy before its update, then a full-batch SGD step,
 * in float64; `trained`: the weights after the last step.
 */
function simulate(start: Problem): { loss: number[]; accuracy: number[]; trained: Problem } {
  const p: Problem = { ...start, kernel: start.kernel.map((row) => [...row]), bias: [...start.bias] };
  const loss: number[] = [];
  const accuracy: number[] = [];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const z = logits(p);
    const logProbabilities = z.map(logSoftmaxRow);
    loss.push(-logProbabilities.reduce((s, row, i) => s + row[p.labels[i]], 0) / SAMPLES);
    accuracy.push(z.filter((row, i) => row.indexOf(Math.max(...row)) === p.labels[i]).length / SAMPLES);
    const dz = logProbabilities.map((row, i) => row.map((v, c) => (Math.exp(v) - (c === p.labels[i] ? 1 : 0)) / SAMPLES));
    for (let c = 0; c < CLASSES; c++) {
      for (let f = 0; f < FEATURES; f++) p.kernel[f][c] -= LEARNING_RATE * dz.reduce((s, row, i) => s + p.x[i][f] * row[c], 0);
      p.bias[c] -= LEARNING_RATE * dz.reduce((s, row) => s + row[c], 0);
    }
  }
  return { loss, accuracy, trained: p };
}

/** The loss of the problem's weights from log-sum-exp, in float64. */
function logitsLoss(p: Problem): number {
  return -logits(p).map(logSoftmaxRow).reduce((s, row, i) => s + row[p.labels[i]], 0) / SAMPLES;
}

/** Keras's clipped form in float64: mean of −log clip(p_label, 1e-7, 1 − 1e-7). */
function clippedLoss(start: Problem): number {
  return -logits(start).map(logSoftmaxRow).reduce((s, row, i) => s + Math.log(Math.min(Math.max(Math.exp(row[start.labels[i]]), 1e-7), 1 - 1e-7)), 0) / SAMPLES;
}

type Variant = 'dense' | 'activationLayer' | 'sparse' | 'customLoss' | 'eager';

/** Trains each variant from the problem's weights; returns histories and the user-facing loss on predict's probabilities. */
function trainVariants(p: Problem, variants: Variant[]) {
  return gpu.run(async (wg, { p, variants, epochs, lr }) => {
    const x = wg.tensor(p.x);
    const oneHot = wg.tensor(p.labels.map((label) => [0, 1, 2].map((c) => (c === label ? 1 : 0))));
    const labels = wg.tensor(p.labels.map((label) => [label]), undefined, 'int32');
    const out: Record<string, { loss: number[]; accuracy: number[]; userFacing: number; evaluated: number }> = {};
    for (const variant of variants) {
      const layers = variant === 'activationLayer'
        ? [new wg.layers.Dense(3, { inputShape: [4] }), new wg.layers.Activation('softmax')]
        : [new wg.layers.Dense(3, { activation: 'softmax', inputShape: [4] })];
      const model = new wg.Sequential(layers);
      model.setWeights([p.kernel, p.bias]);
      // A function of the user's own is not the built-in loss, so fit keeps its clipped form.
      const loss = variant === 'sparse' ? 'sparse_categorical_crossentropy'
        : variant === 'customLoss' ? (yTrue: typeof x, yPred: typeof x) => wg.losses.categoricalCrossentropy(yTrue, yPred) : 'categorical_crossentropy';
      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate: lr }), loss, metrics: ['accuracy'], jit: variant !== 'eager' });
      const y = variant === 'sparse' ? labels : oneHot;
      const history = await model.fit(x, y, { epochs, batchSize: x.shape[0], shuffle: false, verbose: 0 });
      const evaluated = (await model.evaluate(x, y, { batchSize: x.shape[0] })).loss;
      const probabilities = model.predict(x) as typeof x;
      const userLoss = wg.losses.categoricalCrossentropy(oneHot, probabilities);
      out[variant] = { loss: history.loss, accuracy: history.accuracy, userFacing: (await userLoss.data())[0], evaluated };
      [probabilities, userLoss].forEach((t) => t.dispose());
      model.dispose();
    }
    [x, oneHot, labels].forEach((t) => t.dispose());
    return out;
  }, { p, variants, epochs: EPOCHS, lr: LEARNING_RATE });
}

// Float32 against float64: a loss of a few units carries rounding of a few ulps per logit over
// 4 features and 3 SGD steps; 2e-6 relative is about 16 float32 ulps.
const RELATIVE = 2e-6;

function expectRelative(actual: readonly number[], expected: readonly number[], tolerance = RELATIVE): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]) / Math.abs(expected[i])).toBeLessThanOrEqual(tolerance));
}

describe('fit takes a softmax output\'s logits for categorical cross-entropy', () => {
  it('moderate logits: the loss history and accuracy equal float64 (log-sum-exp), dense and sparse labels, compiled and eager', async () => {
    const p = problem(7, 1);
    const expected = simulate(p);
    const out = await trainVariants(p, ['dense', 'sparse', 'activationLayer', 'eager']);
    for (const variant of ['dense', 'sparse', 'activationLayer', 'eager'] as const) {
      expectRelative(out[variant].loss, expected.loss);
      // Metrics still see the probabilities: categorical accuracy of predict's argmax, as float64.
      expect(out[variant].accuracy).toEqual(expected.accuracy);
    }
    // Compiled and eager run the same ops; a compiled program may fuse and reassociate a sum or
    // two, a few float32 ulps of the loss.
    expectRelative(out.dense.loss, out.eager.loss, 1e-6);
  });

  it('huge logits: fit and evaluate match float64 where the clipped form saturates at −log(1e-7); the user-facing loss and a custom loss keep clipping', async () => {
    const p = problem(11, 30);
    const expected = simulate(p);
    const clipped = clippedLoss(p);
    // The problem is one where clipping matters: some label's probability is far below 1e-7.
    expect(expected.loss[0] - clipped).toBeGreaterThan(1);
    const out = await trainVariants(p, ['dense', 'activationLayer', 'eager', 'customLoss']);
    for (const variant of ['dense', 'activationLayer', 'eager'] as const) {
      expectRelative(out[variant].loss, expected.loss);
      expect(out[variant].accuracy).toEqual(expected.accuracy);
    }
    // Before any step the custom loss (a function of the user's own) sees the same weights: it
    // keeps the clipped value, as the public loss does on predict's probabilities after training.
    expectRelative([out.customLoss.loss[0]], [clipped]);
    expect(logitsLoss(expected.trained) - clippedLoss(expected.trained)).toBeGreaterThan(1);
    expectRelative([out.dense.userFacing], [clippedLoss(expected.trained)]);
    // evaluate takes the logits too: the float64 loss of the trained weights.
    expectRelative([out.dense.evaluated, out.eager.evaluated], [logitsLoss(expected.trained), logitsLoss(expected.trained)]);
  });

  it('a Dense softmax on rank-3 inputs (a sequence of rows) keeps its logits too', async () => {
    const p = problem(11, 30);
    // The 8 rows as 4 samples of 2 steps: Keras's loss is the mean over all 8 rows, as for rank 2.
    const loss = await gpu.run(async (wg, { p }) => {
      const model = new wg.Sequential([new wg.layers.Dense(3, { activation: 'softmax', inputShape: [2, 4] })]);
      model.setWeights([p.kernel, p.bias]);
      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate: 0.5 }), loss: 'categorical_crossentropy' });
      const x = wg.tensor(p.x.flat(), [4, 2, 4]);
      const y = wg.tensor(p.labels.flatMap((label) => [0, 1, 2].map((c) => (c === label ? 1 : 0))), [4, 2, 3]);
      const history = await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return history.loss[0];
    }, { p });
    expect(logitsLoss(p) - clippedLoss(p)).toBeGreaterThan(1);
    expectRelative([loss], [logitsLoss(p)]);
  });

  it('a fit step of a softmax model runs fewer dispatches than the clipped form', async () => {
    const counts = await gpu.run(async (wg) => {
      const count = async (clipped: boolean) => {
        wg.setSeed(5);
        const model = new wg.Sequential([
          new wg.layers.Dense(8, { activation: 'relu', inputShape: [4] }),
          new wg.layers.Dense(3, { activation: 'softmax' }),
        ]);
        const x = wg.randn([32, 4]);
        const y = wg.oneHot(wg.tensor(Array.from({ length: 32 }, (_, i) => i % 3), [32], 'int32'), 3);
        const loss = clipped ? (yTrue: typeof x, yPred: typeof x) => wg.losses.categoricalCrossentropy(yTrue, yPred) : 'categorical_crossentropy';
        model.compile({ optimizer: 'adam', loss });
        // The first fit traces the programs; the second, four batches, is counted.
        await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
        await wg.synchronize();
        const before = wg.commandStats().dispatches;
        await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
        await wg.synchronize();
        const dispatches = (wg.commandStats().dispatches - before) / 4;
        [x, y].forEach((t) => t.dispose());
        model.dispose();
        return dispatches;
      };
      return { logits: await count(false), clipped: await count(true) };
    });
    console.log('dispatches per fit step', counts);
    expect(counts.logits).toBeLessThan(counts.clipped);
  });
});
