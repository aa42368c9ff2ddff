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

/**
 * Initial weights of the transformer workload's model (bench/libs/webgrad-adapter.js, transformer),
 * in webgrad's getWeights order with its layers' names and shapes: Embedding, PositionalEmbedding,
 * per TransformerBlock attention_norm, attention query/key/value/attention_output, mlp_norm,
 * mlp_hidden, mlp_output, then the final LayerNormalization and the Dense head. Kernels and position
 * vectors are drawn as the layers draw them (glorot-uniform over the matrix each acts as; token
 * vectors U(−0.05, 0.05)); biases and betas are U(−0.05, 0.05) and gammas 1 + U(−0.05, 0.05)
 * rather than the layers' zeros and ones, so that a bias or a norm's weight read in the wrong
 * layout changes the first loss. Weight i is drawn from seed + i.
 */
export function transformerWeights(seed, { vocabularySize, contextLength, dim, heads, layers, ffDim }) {
  const depth = dim / heads;
  const specs = [
    ['embedding/embeddings', [vocabularySize, dim], 'token'],
    ['positional_embedding/embeddings', [contextLength, dim], [contextLength, dim]],
  ];
  for (let layer = 0; layer < layers; layer++) {
    const block = `transformer_block${layer ? `_${layer}` : ''}`;
    specs.push([`${block}/attention_norm/gamma`, [dim], 'gamma'], [`${block}/attention_norm/beta`, [dim], 'bias']);
    for (const name of ['query', 'key', 'value']) specs.push([`${block}/attention/${name}/kernel`, [dim, heads, depth], [dim, dim]], [`${block}/attention/${name}/bias`, [heads, depth], 'bias']);
    specs.push([`${block}/attention/attention_output/kernel`, [heads, depth, dim], [dim, dim]], [`${block}/attention/attention_output/bias`, [dim], 'bias']);
    specs.push([`${block}/mlp_norm/gamma`, [dim], 'gamma'], [`${block}/mlp_norm/beta`, [dim], 'bias']);
    specs.push([`${block}/mlp_hidden/kernel`, [dim, ffDim], [dim, ffDim]], [`${block}/mlp_hidden/bias`, [ffDim], 'bias']);
    specs.push([`${block}/mlp_output/kernel`, [ffDim, dim], [ffDim, dim]], [`${block}/mlp_output/bias`, [dim], 'bias']);
  }
  specs.push(['layer_normalization/gamma', [dim], 'gamma'], ['layer_normalization/beta', [dim], 'bias']);
  specs.push(['dense/kernel', [dim, vocabularySize], [dim, vocabularySize]], ['dense/bias', [vocabularySize], 'bias']);
  return specs.map(([name, shape, init], i) => {
    const count = shape.reduce((a, b) => a * b, 1);
    let values;
    if (Array.isArray(init)) values = glorotUniform(seed + i, init[0], init[1]);
    else if (init === 'gamma') values = uniform(seed + i, count, 0.95, 1.05);
    else values = uniform(seed + i, count, -0.05, 0.05);
    return { name, shape, values };
  });
}
