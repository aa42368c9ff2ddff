// Float64 references for the language layers: causal mask, attention, layer norm, GELU (tanh form),
// and MultiHeadAttention / TransformerBlock forward passes from a layer's weights.
import * as ref from '../reference';

export const MASKED = -1e9;

/** 0 where key j ≤ query i, MASKED above. */
export function causalMaskRef(queries: number, keys: number): ref.NdArray {
  return ref.ndarray([queries, keys], Array.from({ length: queries * keys }, (_, n) => (n % keys > Math.floor(n / keys) ? MASKED : 0)));
}

/** softmax(q·kᵀ/√d + Σ masks)·v. */
export function attentionRef(q: ref.NdArray, k: ref.NdArray, v: ref.NdArray, masks: ref.NdArray[] = []): ref.NdArray {
  const depth = q.shape[q.shape.length - 1];
  let scores = ref.unary(ref.matmul(q, k, { transposeB: true }), (s) => s / Math.sqrt(depth));
  for (const mask of masks) scores = ref.binary(scores, mask, (s, m) => s + m);
  return ref.matmul(ref.softmax(scores, -1), v);
}

/** Layer norm over the last axis with gamma and beta [features]. */
export function layerNormLastRef(x: ref.NdArray, gamma: ref.NdArray, beta: ref.NdArray, epsilon: number): ref.NdArray {
  const mean = ref.mean(x, -1, true);
  const variance = ref.variance(x, -1, true);
  return ref.mapBroadcast([x, mean, variance, gamma, beta], ([v, m, s, g, b]) => ((v - m) / Math.sqrt(s + epsilon)) * g + b);
}

/** GELU, tanh approximation (TransformerBlock's MLP activation, 'geluTanh'). */
export const geluRef = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** x [..., in] · kernel [in, out] + bias, on the last axis. */
export function denseRef(x: ref.NdArray, kernel: ref.NdArray, bias: ref.NdArray | null): ref.NdArray {
  const rows = ref.reshape(x, [-1, x.shape[x.shape.length - 1]]);
  let y = ref.matmul(rows, ref.reshape(kernel, [kernel.shape[0], -1]));
  if (bias) y = ref.binary(y, ref.reshape(bias, [-1]), (a, b) => a + b);
  return ref.reshape(y, [...x.shape.slice(0, -1), y.shape[1]]);
}

export type Weights = Record<string, ref.NdArray>;

/** Keras MultiHeadAttention self-attention on x [batch, T, dim]; weights named query/kernel, …, attention_output/bias. */
export function multiHeadAttentionRef(x: ref.NdArray, weights: Weights, prefix: string, causal: boolean): ref.NdArray {
  const [batch, length] = x.shape;
  const w = (name: string): ref.NdArray => weights[`${prefix}${name}`];
  const project = (name: string): ref.NdArray => {
    const [, heads, depth] = w(`${name}/kernel`).shape;
    const y = denseRef(x, w(`${name}/kernel`), w(`${name}/bias`));
    return ref.transpose(ref.reshape(y, [batch, length, heads, depth]), [0, 2, 1, 3]);
  };
  const attended = attentionRef(project('query'), project('key'), project('value'), causal ? [causalMaskRef(length, length)] : []);
  const merged = ref.reshape(ref.transpose(attended, [0, 2, 1, 3]), [batch, length, -1]);
  return denseRef(merged, ref.reshape(w('attention_output/kernel'), [-1, x.shape[2]]), w('attention_output/bias'));
}

/** Pre-norm block: h = x + MHA(LN(x)); y = h + Dense(gelu(Dense(LN(h)))). Weights prefixed by the block's layer name. */
export function transformerBlockRef(x: ref.NdArray, weights: Weights, prefix: string, causal: boolean, epsilon: number): ref.NdArray {
  const w = (name: string): ref.NdArray => weights[`${prefix}${name}`];
  const add = (a: ref.NdArray, b: ref.NdArray): ref.NdArray => ref.binary(a, b, (p, q) => p + q);
  const h = add(x, multiHeadAttentionRef(layerNormLastRef(x, w('attention_norm/gamma'), w('attention_norm/beta'), epsilon), weights, `${prefix}attention/`, causal));
  const hidden = ref.unary(denseRef(layerNormLastRef(h, w('mlp_norm/gamma'), w('mlp_norm/beta'), epsilon), w('mlp_hidden/kernel'), w('mlp_hidden/bias')), geluRef);
  return add(h, denseRef(hidden, w('mlp_output/kernel'), w('mlp_output/bias')));
}
