// The digits CNN and the digits as tensors, shared by the digits demo, the worker demo (which
// trains the same network in a Web Worker) and the terminal run (`npm run demo:node`,
// scripts/run-demo-node.mjs). webgrad is passed in: each caller has its own copy loaded.
import { PIXELS, SAMPLES, SIDE, parseDigits } from '../shared/mnist.js';

export { SAMPLES, parseDigits };
/** The last 2,000 digits are held out for testing; the seed the pages build the model from. */
export const TEST_SAMPLES = 2_000;
export const SEED = 7;

/** Adam's learning rate in the digits demo's first epoch (the digits are few: 0.001 learns too slowly). */
export const LEARNING_RATE = 0.01;

/** Samples [start, start + count) as x [count, 28, 28, 1] in [0, 1] and int32 labels y [count]. */
export function digitTensors(wg, { labels, pixels }, start, count) {
  const x = Float32Array.from(pixels.subarray(start * PIXELS, (start + count) * PIXELS), (value) => value / 255);
  return {
    x: wg.tensor(x, [count, SIDE, SIDE, 1]),
    y: wg.tensor(Int32Array.from(labels.subarray(start, start + count)), [count], 'int32'),
  };
}

/**
 * Two 5x5 convolutions, each followed by 2x2 max pooling, then one softmax layer: 11,274 weights,
 * not yet compiled; its initial weights come from `seed`.
 * 'same' padding keeps 28 → 14 → 7, so the last feature map is 7x7x16. (3x3 filters train
 * faster but reach only 96.5–97% test accuracy in four epochs on these 8,000 digits; 5x5 ones
 * reach 97.4–97.8%.)
 */
export function digitsModel(wg, seed) {
  wg.setSeed(seed);
  const { Conv2D, Dense, Flatten, MaxPooling2D } = wg.layers;
  return new wg.Sequential([
    new Conv2D(8, { kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [SIDE, SIDE, 1] }),
    new MaxPooling2D({ poolSize: 2 }),
    new Conv2D(16, { kernelSize: 5, padding: 'same', activation: 'relu' }),
    new MaxPooling2D({ poolSize: 2 }),
    new Flatten(),
    new Dense(10, { activation: 'softmax' }),
  ]);
}

/** The digits demo's model compiled as the page trains it: Adam at LEARNING_RATE, sparse cross-entropy, accuracy. */
export function compiledDigitsModel(wg) {
  const model = digitsModel(wg, SEED);
  const optimizer = new wg.optimizers.Adam({ learningRate: LEARNING_RATE });
  model.compile({ optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return { model, optimizer };
}
