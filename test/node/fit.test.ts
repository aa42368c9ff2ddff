// fit in Node through Dawn: the reference example (Dense(2, sigmoid) → Dense(1, sigmoid), Adam,
// binary cross-entropy, accuracy, 1000 full-batch epochs on the four points, seed 42 as in the
// XOR demo) replayed in float64 on the CPU from the initial weights the model drew. The loss
// history, the final weights, evaluate's loss and accuracy all come from that replay, none from
// webgrad; test/nn/xor-reference.test.ts checks the same in the browser.
import { describe, expect, it } from 'vitest';
import { loadWebgradInNode } from '../harness/node-webgrad';
import { binaryAccuracy, binaryCrossentropy, dense, matrix } from '../nn/dense-reference';
import { trainInFloat64 } from '../nn/xor-float64';

const node = await loadWebgradInNode();

const X = [[1, 2], [2, 3], [3, 4], [4, 5]];
const Y = [0, 1, 1, 0];
const EPOCHS = 1000;
const LEARNING_RATE = 0.001; // Keras's Adam default, the reference example as written

describe.skipIf(node.skipReason !== null)('fit in Node through Dawn', () => {
  it('the reference example follows its float64 replay (loss history, weights, evaluate)', async () => {
    const { wg } = node;
    wg.setSeed(42);
    const model = new wg.Sequential([
      new wg.layers.Dense(2, { activation: 'sigmoid', inputShape: [2] }),
      new wg.layers.Dense(1, { activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: LEARNING_RATE }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const readWeights = async (): Promise<number[][]> => {
      const weights = model.getWeights();
      const values = await Promise.all(weights.map(async (w) => Array.from(await w.data())));
      weights.forEach((w) => w.dispose());
      return values;
    };
    const initialWeights = await readWeights();
    const x = wg.tensor(X);
    const y = wg.tensor(Y.map((v) => [v]));
    const started = performance.now();
    const history = await model.fit(x, y, { epochs: EPOCHS, batchSize: 4, verbose: 0 });
    const seconds = (performance.now() - started) / 1000;
    const evaluated = await model.evaluate(x, y);
    const finalWeights = await readWeights();
    model.dispose();
    x.dispose();
    y.dispose();

    const reference = trainInFloat64(initialWeights, X, Y, EPOCHS, LEARNING_RATE);
    const [W1, b1, W2, b2] = reference.finalWeights;
    const predictions = dense(dense(matrix(4, 2, X.flat()), matrix(2, 2, W1), b1, 'sigmoid'), matrix(2, 1, W2), b2, 'sigmoid').data;
    console.log(`Node fit: ${EPOCHS} epochs in ${seconds.toFixed(1)} s; loss ${evaluated.loss} (float64 ${reference.finalLoss}), ` +
      `accuracy ${evaluated.accuracy}; float64 predictions [${Array.from(predictions, (p) => p.toFixed(4)).join(', ')}]`);

    expect(history.loss).toHaveLength(EPOCHS);
    // Tolerance as in test/nn/xor-reference.test.ts: float32 rounding moves the weights by ~1e-5
    // over the run; 1e-4 still catches a wrong rule (a 1% learning-rate change moves them by ~2e-2).
    const historyDrift = Math.max(...history.loss.map((loss, i) => Math.abs(loss - reference.history[i])));
    const weightDrift = Math.max(...finalWeights.flatMap((w, k) => w.map((value, e) => Math.abs(value - reference.finalWeights[k][e]))));
    expect(historyDrift).toBeLessThan(1e-4);
    expect(weightDrift).toBeLessThan(1e-4);
    expect(Math.abs(evaluated.loss - reference.finalLoss)).toBeLessThan(1e-4);
    expect(Math.abs(binaryCrossentropy(predictions, Y) - reference.finalLoss)).toBeLessThan(1e-12);
    // Accuracy thresholds predictions at 0.5; every float64 prediction is farther from 0.5 than the
    // 1e-4 the GPU may drift, so the GPU's accuracy must be the replay's exactly.
    for (const p of predictions) expect(Math.abs(p - 0.5)).toBeGreaterThan(1e-3);
    expect(evaluated.accuracy).toBe(binaryAccuracy(predictions, Y));
  });
});
