// Integer indexing: gather (and scatter-add, its gradient) share shaders/gather.wgsl; oneHot.
import gatherSource from '../../shaders/gather.wgsl';
import oneHotSource from '../../shaders/oneHot.wgsl';
import { recordOp } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor } from '../tensor';
import { normalizeAxis, shapesEqual, sizeOf, type Shape } from '../shape';

const gatherKernel = defineKernel('gather', gatherSource);
const oneHotKernel = defineKernel('oneHot', oneHotSource);

function assertIndices(op: string, indices: Tensor): void {
  indices.assertAlive(op);
  if (indices.dtype !== 'int32') throw new ValueError(`${op}: indices must be int32, got ${indices.dtype}; cast them first`);
}

/**
 * Picks slices of x along `axis` by integer indices of any shape, as tf.gather(x, indices, axis,
 * batchDims): the first `batchDims` axes of x and indices are paired (each batch gathers with its
 * own indices), so the result has shape x.shape[:axis] + indices.shape[batchDims:] +
 * x.shape[axis+1:]. Indices are not checked against the axis (that would need a GPU readback): one
 * outside [0, x.shape[axis]) is clamped to the nearest valid position, so no read leaves x (TF.js
 * returns zeros there on the GPU, and TF raises on the CPU). The gradient flows to x (summed over
 * repeated indices).
 */
export function gather(x: Tensor, indices: Tensor, axis = 0, batchDims = 0): Tensor {
  x.assertAlive('gather');
  assertIndices('gather', indices);
  if (x.rank === 0) throw new ShapeError('gather: x must have rank >= 1, got a scalar');
  const along = normalizeAxis('gather', axis, x.rank);
  const batch = batchDims < 0 ? batchDims + indices.rank : batchDims;
  const call = `x ${formatShape(x.shape)}, indices ${formatShape(indices.shape)}, axis ${axis}, batchDims ${batchDims}`;
  if (!Number.isInteger(batchDims) || batch < 0 || batch > indices.rank || batch > along) {
    throw new ValueError(`gather: batchDims must be an integer in [-${indices.rank}, ${Math.min(indices.rank, along)}] (at most indices' rank and the axis), got ${call}`);
  }
  if (!shapesEqual(x.shape.slice(0, batch), indices.shape.slice(0, batch))) {
    throw new ShapeError(`gather: the first ${batch} (batchDims) dimensions of x and indices must match, got ${call}`);
  }
  const axisSize = x.shape[along];
  if (axisSize === 0 && indices.size > 0) {
    throw new ShapeError(`gather: axis ${along} of ${formatShape(x.shape)} is empty, so no index can be valid`);
  }
  const layout = gatherLayout(x.shape, indices.shape, along, batch);
  const out = Tensor.empty([...x.shape.slice(0, along), ...indices.shape.slice(batch), ...x.shape.slice(along + 1)], x.dtype);
  launchGather(x, indices, out, layout, false);
  recordOp('gather', [x, indices], out, (dy) => [scatterAdd(dy, indices, along, batch, axisSize), null]);
  return out;
}

/**
 * The flat view the kernel works in: x as [batch, outer, axisSize, inner] and indices as [batch,
 * indexCount], where batch spans the first batchDims axes and outer the axes from there to `axis`.
 */
function gatherLayout(xShape: Shape, indicesShape: Shape, axis: number, batchDims: number): GatherLayout {
  return {
    outer: sizeOf(xShape.slice(batchDims, axis)),
    inner: sizeOf(xShape.slice(axis + 1)),
    indexCount: sizeOf(indicesShape.slice(batchDims)),
    axisSize: xShape[axis],
  };
}

/**
 * gather's transpose: zeros of shape updates.shape[:axis] + [axisSize] + the trailing dims of
 * updates, with each slice of `updates` added at its (clamped) index along axis. Repeated indices
 * accumulate. Each output element loops over its batch's indices, so the cost is output size × indexCount.
 */
function scatterAdd(updates: Tensor, indices: Tensor, axis: number, batchDims: number, axisSize: number): Tensor {
  const indexRank = indices.rank - batchDims;
  const outShape = [...updates.shape.slice(0, axis), axisSize, ...updates.shape.slice(axis + indexRank)];
  const out = Tensor.empty(outShape, updates.dtype);
  launchGather(updates, indices, out, gatherLayout(outShape, indices.shape, axis, batchDims), true);
  recordOp('scatterAdd', [updates, indices], out, (dy) => [gather(dy, indices, axis, batchDims), null]);
  return out;
}

interface GatherLayout { outer: number; inner: number; indexCount: number; axisSize: number }

function launchGather(x: Tensor, indices: Tensor, out: Tensor, { outer, inner, indexCount, axisSize }: GatherLayout, scatter: boolean): void {
  if (out.size === 0) return;
  launch(gatherKernel, {
    buffers: { x: x.buffer, indices: indices.buffer, out: out.buffer },
    uniforms: { count: out.size, outer, inner, indexCount, axisSize },
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
