// The transformer workload's model written out in jax-js (numpy-style ops with explicit .ref
// ownership; jax-js has no layers): the same architecture and weights, in the same order, as the
// webgrad model of bench/libs/webgrad-adapter.js (demos/text/char-model.js), i.e. token embeddings
// plus learned positions, pre-norm causal TransformerBlocks (src/nn/layers/transformer.ts:
// h = x + MHA(LN(x)), y = h + Dense(geluTanh(Dense(LN(h))))), a final LayerNorm and a Dense head,
// and the mean sparse cross-entropy from logits.
import { nn, numpy as np } from '../../node_modules/@jax-js/jax/dist/index.js';

/** x [rows, in] · kernel [in, out] + bias [out]. */
const linear = (x, kernel, bias) => np.matmul(x, kernel).add(bias);

/** LayerNormalization over the last axis (biased variance, epsilon inside the square root, as webgrad's). */
const layerNorm = (x, gamma, beta, epsilon) => nn.standardize(x, -1, { epsilon }).mul(gamma).add(beta);

/**
 * (params, ids [batch, T] int32, targets [batch, T] int32) -> mean cross-entropy, params being the
 * weights in bench/inputs.js transformerWeights order. Consumes all its arguments.
 */
export function transformerLoss({ vocabularySize, dim, heads, layers, epsilon = 1e-5 }) {
  const depth = dim / heads;
  return (params, ids, targets) => {
    const [batch, length] = ids.shape;
    const rows = batch * length;
    let index = 0;
    const next = () => params[index++];
    // Embedding (a gather of rows) plus the positions [T, dim], broadcast over the batch.
    let x = np.take(next(), ids, 0).add(next()).reshape([rows, dim]);
    for (let layer = 0; layer < layers; layer++) {
      const normed = layerNorm(x.ref, next(), next(), epsilon);
      // Keras's [dim, heads, depth] kernels act as [dim, heads·depth]; the result, split as
      // [batch, T, heads, depth], is the layout dotProductAttention takes.
      const project = () => linear(normed.ref, next().reshape([dim, dim]), next().reshape([dim])).reshape([batch, length, heads, depth]);
      const [q, k, v] = [project(), project(), project()];
      normed.dispose();
      // softmax(q·kᵀ/√depth, causal)·v per head, heads concatenated, projected back to dim.
      const attended = nn.dotProductAttention(q, k, v, { isCausal: true }).reshape([rows, dim]);
      x = x.add(linear(attended, next().reshape([dim, dim]), next()));
      const hidden = nn.gelu(linear(layerNorm(x.ref, next(), next(), epsilon), next(), next()), { approximate: true });
      x = x.add(linear(hidden, next(), next()));
    }
    const logits = linear(layerNorm(x, next(), next(), epsilon), next(), next());
    if (index !== params.length) throw new Error(`transformerLoss: used ${index} of ${params.length} weights`);
    const picked = nn.oneHot(targets.reshape([rows]), vocabularySize).mul(nn.logSoftmax(logits, -1));
    return np.sum(picked).mul(-1 / rows);
  };
}
