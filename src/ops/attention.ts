// Scaled dot-product attention composed from the batched matmul (kᵀ read in place via transposeB),
// an additive mask and the max-shifted softmax; the causal mask hides later positions.
import { ShapeError, ValueError, formatShape } from '../errors';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { broadcastShapes } from '../shape';
import { add, mul } from './binary';
import { tensor } from './creation';
import { dropout } from './dropout';
import { matmul } from './matmul';
import { assertFloat } from './operand';
import { softmax } from './softmax';

/**
 * What masked scores get added (Keras's large negative for float32). Finite, unlike −∞, so a row
 * with every position masked gives a uniform softmax instead of NaN; for any row with one visible
 * position, exp(−1e9 − max) is exactly 0 in float32, so masked positions get weight exactly 0.
 */
export const MASKED_SCORE = -1e9;

/**
 * The additive causal mask [queries, keys] (keys defaults to queries): 0 where key j ≤ query i
 * (on and below the diagonal), MASKED_SCORE above it, so position i attends to 0..i only.
 */
export function causalMask(queries: number, keys = queries): Tensor {
  if (!Number.isInteger(queries) || queries < 0 || !Number.isInteger(keys) || keys < 0) {
    throw new ValueError(`causalMask: sizes must be non-negative integers, got ${queries} and ${keys}`);
  }
  const values = new Float32Array(queries * keys);
  for (let i = 0; i < queries; i++) values.fill(MASKED_SCORE, i * keys + i + 1, (i + 1) * keys);
  return tensor(values, [queries, keys]);
}

export interface AttentionOptions {
  /** Hide later keys from each query (key j is visible to query i when j ≤ i). */
  causal?: boolean;
  /**
   * Added to the scaled scores before the softmax: float32, broadcastable to [..., queries, keys];
   * 0 keeps a position, a large negative (MASKED_SCORE) hides it.
   */
  mask?: Tensor;
  /** Dropout rate on the attention weights (0, the default, for none; pass 0 outside training). */
  dropout?: number;
}

/**
 * softmax(q·kᵀ/√d + mask)·v for q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv] (leading axes, e.g.
 * [batch, heads], broadcast): the result is [..., Tq, dv]. q is scaled before the product (as
 * Keras's MultiHeadAttention does), which is the same up to rounding and cheaper when Tk > d.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const { causal = false, mask, dropout: rate = 0 } = options;
  for (const t of [q, k, v]) {
    t.assertAlive(op);
    assertFloat(op, t);
  }
  const shapes = `q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`;
  if (q.rank < 2 || k.rank < 2 || v.rank < 2) throw new ShapeError(`${op}: q, k and v need at least 2 dimensions [..., T, d], got ${shapes}`);
  const [queries, depth] = q.shape.slice(-2);
  const [keys, keyDepth] = k.shape.slice(-2);
  if (keyDepth !== depth) throw new ShapeError(`${op}: q and k must share their last dimension, got ${shapes}`);
  if (v.shape[v.rank - 2] !== keys) throw new ShapeError(`${op}: k and v must have as many positions (axis -2), got ${shapes}`);
  const batchShape = broadcastShapes(`${op} (batch dims of ${shapes})`, broadcastShapes(`${op} (batch dims of ${shapes})`, q.shape.slice(0, -2), k.shape.slice(0, -2)), v.shape.slice(0, -2));
  if (mask) {
    mask.assertAlive(op);
    assertFloat(op, mask);
    broadcastShapes(`${op} (mask ${formatShape(mask.shape)} against scores ${formatShape([...batchShape, queries, keys])})`, mask.shape, [...batchShape, queries, keys]);
  }
  if (!(rate >= 0 && rate < 1)) throw new ValueError(`${op}: dropout must be in [0, 1), got ${rate}`);
  return tidy(() => {
    let scores = matmul(mul(q, 1 / Math.sqrt(depth)), k, { transposeB: true });
    if (causal) scores = add(scores, causalMask(queries, keys));
    if (mask) scores = add(scores, mask);
    let weights = softmax(scores, -1);
    if (rate > 0) weights = dropout(weights, rate);
    return matmul(weights, v);
  });
}
