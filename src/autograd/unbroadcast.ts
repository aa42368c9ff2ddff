// Summing a broadcast gradient back to its input's shape. The tape does it once, where it
// accumulates gradients, so backward rules return gradients at their output's shape and no
// elementwise op depends on reductions.
import type { Tensor } from '../tensor';
import { shapesEqual, type Shape } from '../shape';
import { reshape } from '../ops/movement';
import { sum } from '../ops/reduce';

/**
 * `gradient` summed over the axes along which `shape` was broadcast to make it (the inverse of
 * broadcasting); returned as is when the shapes match or `shape` does not broadcast to it.
 */
export function unbroadcast(gradient: Tensor, shape: Shape): Tensor {
  if (shapesEqual(gradient.shape, shape) || !broadcastsTo(shape, gradient.shape)) return gradient;
  const leading = gradient.rank - shape.length;
  const axes: number[] = [];
  for (let axis = 0; axis < gradient.rank; axis++) {
    if (axis < leading || shape[axis - leading] === 1) axes.push(axis);
  }
  return reshape(sum(gradient, axes, false), [...shape]);
}

function broadcastsTo(from: Shape, to: Shape): boolean {
  const leading = to.length - from.length;
  return leading >= 0 && from.every((dim, axis) => dim === 1 || dim === to[leading + axis]);
}
