// The digits CNN and the digits as tensors, shared by the digits demo and the worker demo (which
// trains the same network in a Web Worker).
import { PIXELS, SIDE } from '../shared/mnist.js';

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
