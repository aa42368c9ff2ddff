// Integer indexing: gather (and scatter-add, its gradient) share shaders/gather.wgsl; oneHot.
import gatherSource from '../../shaders/gather.wgsl';
import oneHotSource from '../../shaders/oneHot.wgsl';
import { recordOp } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor } from '../tensor';
import { normalizeAxis, sizeOf, type Shape } from '../shape';

const gatherKernel = defineKernel('gather', gatherSource);
const oneHotKernel = defineKernel('oneHot', oneHotSource);

function assertIndices(op: string, indices: Tensor): void {
  indices.assertAlive(op);
  if (indices.dtype !== 'int32') throw new ValueError(`${op}: indices must be int32, got ${indices.dtype}; cast them first`);
}

/**
 * Picks slices of x along `axis` by integer indices of any shape (as tf.gather): the result has
 * shape x.shape[:axis] + indices.shape + x.shape[axis+1:]. Indices are not checked against the
 * axis (that would need a GPU readback): one outside [0, x.shape[axis]) is clamped to the nearest
 * valid position, so no read leaves x. The gradient flows to x (summed over repeated indices).
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  x.assertAlive('gather');
  assertIndices('gather', indices);
  if (x.rank === 0) throw new ShapeError('gather: x must have rank >= 1, got a scalar');
  const along = normalizeAxis('gather', axis, x.rank);
  const axisSize = x.shape[along];
  if (axisSize === 0 && indices.size > 0) {
    throw new ShapeError(`gather: axis ${along} of ${formatShape(x.shape)} is empty, so no index can be valid`);
  }
  const outer = x.shape.slice(0, along);
  const inner = x.shape.slice(along + 1);
  const out = Tensor.empty([...outer, ...indices.shape, ...inner], x.dtype);
  launchGather(x, indices, out, { inner: sizeOf(inner), indexCount: indices.size, axisSize, scatter: false });
  recordOp('gather', [x, indices], out, (dy) => [scatterAdd(dy, indices, along, axisSize), null]);
  return out;
}

/**
 * gather's transpose: zeros of shape updates.shape[:axis] + [axisSize] + the trailing dims of
 * updates, with each slice of `updates` added at its (clamped) index along axis. Repeated indices
 * accumulate. Each output element loops over all indices, so the cost is output size × indices.size.
 */
function scatterAdd(updates: Tensor, indices: Tensor, axis: number, axisSize: number): Tensor {
  const outer = updates.shape.slice(0, axis);
  const inner = updates.shape.slice(axis + indices.rank);
  const out = Tensor.empty([...outer, axisSize, ...inner], updates.dtype);
  launchGather(updates, indices, out, { inner: sizeOf(inner), indexCount: indices.size, axisSize, scatter: true });
  recordOp('scatterAdd', [updates, indices], out, (dy) => [gather(dy, indices, axis), null]);
  return out;
}

interface GatherLayout { inner: number; indexCount: number; axisSize: number; scatter: boolean }

function launchGather(x: Tensor, indices: Tensor, out: Tensor, { inner, indexCount, axisSize, scatter }: GatherLayout): void {
  if (out.size === 0) return;
  launch(gatherKernel, {
    buffers: { x: x.buffer, indices: indices.buffer, out: out.buffer },
    uniforms: { count: out.size, inner, indexCount, axisSize },
    // Gathering only moves 4-byte words (either dtype); scatter-add sums float32 gradients.
    variant: scatter ? { aliases: { Element: 'f32' }, constants: { SCATTER: 1 } } : { constants: { SCATTER: 0 } },
    threads: out.size,
  });
}

/**
 * float32 one-hot rows: shape indices.shape + [depth], 1 where the last coordinate equals the
 * index. An index outside [0, depth) gives an all-zero row, as in TF. Not differentiable.
 */
export function oneHot(indices: Tensor, depth: number): Tensor {
  assertIndices('oneHot', indices);
  if (!Number.isInteger(depth) || depth < 0) throw new ValueError(`oneHot: depth must be a non-negative integer, got ${depth}`);
  const shape: Shape = [...indices.shape, depth];
  const out = Tensor.empty(shape, 'float32');
  if (out.size > 0) {
    launch(oneHotKernel, {
      buffers: { indices: indices.buffer, out: out.buffer },
      uniforms: { count: out.size, depth },
      threads: out.size,
    });
  }
  recordOp('oneHot', [indices], out, null);
  return out;
}
