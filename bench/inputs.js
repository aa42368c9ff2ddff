// The benchmark's seeded inputs, shared by the pages (every library gets the same numbers) and by
// Node (the float64 references recompute them instead of receiving megabytes through the
// DevTools protocol). Plain ESM that browsers and Node both load as is.

// mulberry32: the same seed gives the same stream in every page and in Node (the demos' generator).
import { mulberry32 } from '../demos/shared/mulberry32.js';

export { mulberry32 };

/** `count` float32 values uniform in [low, high). */
export function uniform(seed, count, low = -1, high = 1) {
  const random = mulberry32(seed);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = low + (high - low) * random();
  return values;
}

/** Keras's glorotUniform for a [fanIn, fanOut] kernel: uniform in ±sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(seed, fanIn, fanOut) {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return uniform(seed, fanIn * fanOut, -limit, limit);
}

/**
 * Initial weights of a stack of Dense layers, [kernel, bias] per layer in Keras's getWeights
 * order: glorot-uniform kernels drawn from seed + layer index, zero biases.
 */
export function denseWeights(seed, units) {
  const weights = [];
  for (let layer = 0; layer + 1 < units.length; layer++) {
    const [fanIn, fanOut] = [units[layer], units[layer + 1]];
    weights.push({ shape: [fanIn, fanOut], values: glorotUniform(seed + layer, fanIn, fanOut) });
    weights.push({ shape: [fanOut], values: new Float32Array(fanOut) });
  }
  return weights;
}

/** The MLP workload's data: pixel-like inputs in [0, 1) and one-hot labels of random classes. */
export function classificationData(seed, samples, features, classes) {
  const x = uniform(seed, samples * features, 0, 1);
  const random = mulberry32(seed + 1);
  const y = new Float32Array(samples * classes);
  for (let i = 0; i < samples; i++) y[i * classes + Math.floor(random() * classes)] = 1;
  return { x, y };
}

/** The reference workload's four samples (the text's XOR-like data). */
export const REFERENCE_DATA = {
  x: Float32Array.from([1, 2, 2, 3, 3, 4, 4, 5]),
  y: Float32Array.from([0, 1, 1, 0]),
};

/** Indices 0..size-1 when size <= limit, else `limit` of them: both ends and a seeded spread. */
export function sampleIndices(size, limit, seed = 7) {
  if (size <= limit) return Array.from({ length: size }, (_, i) => i);
  const random = mulberry32(seed);
  const picked = new Set([0, size - 1]);
  while (picked.size < limit) picked.add(Math.floor(random() * size));
  return [...picked].sort((a, b) => a - b);
}

/**
 * The transformer workload's batches: `steps` batches of `batchSize` windows of T + 1 tokens from a
 * seeded sequence over `vocabularySize` ids that mostly repeats a 17-token cycle (so the loss can
 * fall), as inputs (the first T) and next-token targets, each an Int32Array [batch, T].
 */
export function tokenBatches(seed, steps, batchSize, contextLength, vocabularySize) {
  const random = mulberry32(seed);
  const length = 4096;
  const tokens = Int32Array.from({ length }, (_, i) => (random() < 0.1 ? Math.floor(random() * vocabularySize) : (i * 7) % 17 % vocabularySize));
  return Array.from({ length: steps }, () => {
    const inputs = new Int32Array(batchSize * contextLength);
    const targets = new Int32Array(batchSize * contextLength);
    for (let row = 0; row < batchSize; row++) {
      const start = Math.floor(random() * (length - contextLength - 1));
      inputs.set(tokens.subarray(start, start + contextLength), row * contextLength);
      targets.set(tokens.subarray(start + 1, start + contextLength + 1), row * contextLength);
    }
    return { inputs, targets };
  });
}
