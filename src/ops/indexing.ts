// Integer indexing: gather (and scatter-add, its gradient) share shaders/gather.wgsl; oneHot.
import gatherSource from '../../shaders/gather.wgsl';
import oneHotSource from '../../shaders/oneHot.wgsl';
import { ShapeError, ValueError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { normalizeAxis, shapesEqual, sizeOf, type Shape } from '../shape';
import { kernelOp, opKernel, type Dispatch } from './kernelOp';

const gatherKernel = opKernel('gather', gatherSource);
const oneHotKernel = opKernel('oneHot', oneHotSource);

function assertIndices(op: string, indices: Tensor): void {
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
  return kernelOp('gather', [x, indices], () => {
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
    return {
      output: { shape: [...x.shape.slice(0, along), ...indices.shape.slice(batch), ...x.shape.slice(along + 1)], dtype: x.dtype },
      steps: (out) => gatherDispatches(x, indices, out, gatherLayout(x.shape, indices.shape, along, batch), false),
      backward: (dy) => [scatterAdd(dy, indices, along, batch, axisSize), null],
    };
  });
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
  return kernelOp('scatterAdd', [updates, indices], () => {
    const indexRank = indices.rank - batchDims;
    const outShape = [...updates.shape.slice(0, axis), axisSize, ...updates.shape.slice(axis + indexRank)];
    return {
      output: { shape: outShape, dtype: updates.dtype },
      steps: (out) => gatherDispatches(updates, indices, out, gatherLayout(outShape, indices.shape, axis, batchDims), true),
      backward: (dy) => [gather(dy, indices, axis, batchDims), null],
    };
  });
}

interface GatherLayout { outer: number; inner: number; indexCount: number; axisSize: number }

function gatherDispatches(x: Tensor, indices: Tensor, out: Tensor, { outer, inner, indexCount, axisSize }: GatherLayout, scatter: boolean): Dispatch[] {
  if (out.size === 0) return [];
  // A scatter invocation sums 4 neighbouring elements of an output row (shaders/gather.wgsl).
  const threads = scatter ? (out.size / inner) * Math.ceil(inner / 4) : out.size;
  return [{
    kernel: gatherKernel,
    tensors: { x, indices, out },
    uniforms: { count: threads, outer, inner, indexCount, axisSize },
    // Gathering only moves 4-byte words (either dtype); scatter-add sums float32 gradients.
    variant: scatter ? { aliases: { Element: 'f32' }, constants: { SCATTER: 1 } } : { constants: { SCATTER: 0 } },
    threads,
  }];
}

/**
 * float32 one-hot rows: shape indices.shape + [depth], 1 where the last coordinate equals the
 * index. An index outside [0, depth) gives an all-zero row, as in TF. Not differentiable.
 */
export function oneHot(indices: Tensor, depth: number): Tensor {
  return kernelOp('oneHot', [indices], () => {
    assertIndices('oneHot', indices);
    if (!Number.isInteger(depth) || depth < 0) throw new ValueError(`oneHot: depth must be a non-negative integer, got ${depth}`);
    return {
      output: { shape: [...indices.shape, depth], dtype: 'float32' },
      steps: (out) => (out.size === 0 ? [] : [{
        kernel: oneHotKernel,
        tensors: { indices, out },
        uniforms: { count: out.size, depth },
        threads: out.size,
      }]),
      backward: null,
    };
  });
}
