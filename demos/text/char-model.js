// A character-level transformer language model and what training and sampling it takes: the
// character vocabulary, random training windows, one optimization step, and sampling one
// character at a time. Shared by the text demo's two runs (the corpus and the reversal task).
import * as wg from '../../dist/webgrad.js';

/** The distinct characters of a text, sorted; a character's id is its index. */
export class Vocabulary {
  constructor(text) {
    this.characters = [...new Set(text)].sort();
    this.ids = new Map(this.characters.map((character, id) => [character, id]));
  }

  get size() {
    return this.characters.length;
  }

  /** Ids of the characters of `text` (characters outside the vocabulary are an error). */
  encode(text) {
    return Int32Array.from(text, (character) => {
      const id = this.ids.get(character);
      if (id === undefined) throw new Error(`the character ${JSON.stringify(character)} is not in the vocabulary`);
      return id;
    });
  }

  decode(ids) {
    return Array.from(ids, (id) => this.characters[id]).join('');
  }
}

/**
 * Token ids [batch, T] → next-token logits [batch, T, vocabulary]: embeddings plus learned
 * positions, `layers` pre-norm causal transformer blocks, a final layer norm and a linear head.
 */
export function buildCharTransformer({ vocabularySize, contextLength, dim, heads, layers, ffDim }) {
  return new wg.Sequential([
    new wg.layers.Embedding(vocabularySize, dim, { inputShape: [contextLength] }),
    new wg.layers.PositionalEmbedding(contextLength, dim),
    ...Array.from({ length: layers }, () => new wg.layers.TransformerBlock({ numHeads: heads, keyDim: dim / heads, ffDim, causal: true })),
    new wg.layers.LayerNormalization({ epsilon: 1e-5 }),
    new wg.layers.Dense(vocabularySize),
  ]);
}

/**
 * `batchSize` windows of T + 1 tokens at random offsets of `tokens`: inputs are each window's first
 * T tokens, targets the same window shifted by one (the next token at every position).
 */
export function randomWindows(tokens, batchSize, length, random) {
  const inputs = new Int32Array(batchSize * length);
  const targets = new Int32Array(batchSize * length);
  for (let row = 0; row < batchSize; row++) {
    const start = Math.floor(random() * (tokens.length - length));
    inputs.set(tokens.subarray(start, start + length), row * length);
    targets.set(tokens.subarray(start + 1, start + length + 1), row * length);
  }
  return { inputs, targets };
}

/**
 * Mean cross-entropy of next-token logits [batch, T, V] against target ids [batch, T], over the
 * positions where `weights` [batch, T] is 1 (all positions when weights is null).
 */
export function sequenceLoss(logits, targets, weights) {
  if (!weights) return wg.losses.sparseCategoricalCrossentropy(targets, logits, { fromLogits: true });
  const vocabularySize = logits.shape[logits.rank - 1];
  const perToken = wg.neg(wg.sum(wg.mul(wg.oneHot(targets, vocabularySize), wg.logSoftmax(logits, -1)), -1));
  return wg.div(wg.sum(wg.mul(perToken, weights)), wg.sum(weights));
}

/** One optimization step on a batch, every op run eagerly; returns the batch's loss as a GPU scalar (nothing is read back). */
export function eagerTrainStep(model, optimizer, inputs, targets, weights = null) {
  return wg.tidy(() => {
    const params = model.trainableWeights;
    const tape = new wg.Tape();
    const loss = tape.record(() => sequenceLoss(model.apply(inputs, { training: true }), targets, weights));
    const gradients = tape.gradient(loss, params);
    optimizer.applyGradients(params, gradients);
    return loss;
  });
}

/** Each model's compiled step, per optimizer (wg.jit keys its programs by the optimizer's identity). */
const compiledSteps = new WeakMap();

/**
 * eagerTrainStep compiled by wg.jit: forward, backward and Adam's update replayed as one program
 * per batch shape (and per weights given or not), the same kernels on the same values.
 */
export function trainStep(model, optimizer, inputs, targets, weights = null) {
  let step = compiledSteps.get(model);
  if (!step) {
    step = wg.jit((stepOptimizer, x, y, w) => eagerTrainStep(model, stepOptimizer, x, y, w), { name: 'textTrainStep' });
    compiledSteps.set(model, step);
  }
  return step(optimizer, inputs, targets, weights);
}

/**
 * Each row's next-token logits at `positions[row]`, read back as one Float32Array [rows, V]. Rows
 * are padded to the model's context length: causal attention keeps the padding, which lies after
 * the position read, from changing the result.
 */
async function logitsAt(model, contexts, positions, contextLength, vocabularySize) {
  const ids = new Int32Array(contexts.length * contextLength);
  contexts.forEach((context, row) => ids.set(context, row * contextLength));
  const picked = wg.tidy(() => {
    const logits = model.predict(wg.tensor(ids, [contexts.length, contextLength], 'int32'), { batchSize: contexts.length });
    const flatIndex = wg.tensor(Int32Array.from(positions, (position, row) => row * contextLength + position), [contexts.length], 'int32');
    return wg.gather(logits.reshape([contexts.length * contextLength, vocabularySize]), flatIndex, 0);
  });
  const values = await picked.data();
  picked.dispose();
  return values;
}

/** An index drawn from softmax(logits / temperature); temperature 0 takes the most likely one. */
function sampleIndex(logits, temperature, random) {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature <= 0) return best;
  const weights = Array.from(logits, (value) => Math.exp((value - logits[best]) / temperature));
  let threshold = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    threshold -= weights[i];
    if (threshold <= 0) return i;
  }
  return weights.length - 1;
}

/**
 * Continues each prompt (arrays of ids, one row each) by `count` tokens, one model call per
 * token for all rows at once; the context is the last T tokens. Returns the generated ids per row.
 */
export async function generate(model, prompts, count, { contextLength, vocabularySize, temperature, random }) {
  const sequences = prompts.map((prompt) => Array.from(prompt));
  for (let step = 0; step < count; step++) {
    const contexts = sequences.map((sequence) => sequence.slice(-contextLength));
    const logits = await logitsAt(model, contexts, contexts.map((context) => context.length - 1), contextLength, vocabularySize);
    sequences.forEach((sequence, row) => {
      sequence.push(sampleIndex(logits.subarray(row * vocabularySize, (row + 1) * vocabularySize), temperature, random));
    });
  }
  return sequences.map((sequence, row) => sequence.slice(prompts[row].length));
}

/** Parameters of a built model. */
export function countParameters(model) {
  return model.layers.reduce((total, layer) => total + layer.countParams(), 0);
}
