// dot and outerProduct (TF.js's tf.dot and tf.outerProduct) as reshapes around matmul, so their
// gradients are matmul's.
import { ShapeError, formatShape } from '../errors';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { matmul } from './matmul';
import { reshape } from './movement';

/**
 * The dot product of tensors of rank 1 or 2, as tf.dot: vector·vector → scalar, matrix·vector →
 * [m], vector·matrix → [n], matrix·matrix → [m, n]. The contracted lengths must agree.
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  a.assertAlive('dot');
  b.assertAlive('dot');
  if (a.rank < 1 || a.rank > 2 || b.rank < 1 || b.rank > 2) {
    throw new ShapeError(`dot: both inputs must have rank 1 or 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const inner = [a.shape[a.rank - 1], b.shape[0]];
  if (inner[0] !== inner[1]) {
    throw new ShapeError(`dot: inner dimensions must agree, got ${formatShape(a.shape)} and ${formatShape(b.shape)} (${inner[0]} vs ${inner[1]})`);
  }
  return tidy(() => {
    const product = matmul(a.rank === 1 ? reshape(a, [1, -1]) : a, b.rank === 1 ? reshape(b, [-1, 1]) : b);
    const shape = [...(a.rank === 2 ? [a.shape[0]] : []), ...(b.rank === 2 ? [b.shape[1]] : [])];
    return reshape(product, shape);
  });
}

/** v1 [m] ⊗ v2 [n] → [m, n], out[i, j] = v1[i]·v2[j] (one product each: exact to float32 rounding). */
export function outerProduct(v1: Tensor, v2: Tensor): Tensor {
  v1.assertAlive('outerProduct');
  v2.assertAlive('outerProduct');
  if (v1.rank !== 1 || v2.rank !== 1) {
    throw new ShapeError(`outerProduct: both inputs must be vectors (rank 1), got ${formatShape(v1.shape)} and ${formatShape(v2.shape)}`);
  }
  return tidy(() => matmul(reshape(v1, [-1, 1]), reshape(v2, [1, -1])));
}
