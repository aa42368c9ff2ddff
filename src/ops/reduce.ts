// Reductions over any set of axes (sum, mean, max, min) and argmax, each beside its backward rule.
import reduceSource from '../../shaders/reduce.wgsl';
import argmaxSource from '../../shaders/reduceArgmax.wgsl';
import ieeeSource from '../../shaders/ieee.wgsl';
import { recordOp } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor, type DType } from '../tensor';
import { normalizeAxes, normalizeAxis, sizeOf, stridesOf, type Shape } from '../shape';
import { div, mul } from './binary';
import { equal } from './compare';
import { full } from './creation';
import { broadcastTo, reshape } from './movement';
import { wgslType } from './operand';

const reduceKernel = defineKernel('reduce', ieeeSource + reduceSource);
const argmaxKernel = defineKernel('reduceArgmax', ieeeSource + argmaxSource);

/**
 * Most elements one invocation folds in one pass. Longer reductions write a partial result per
 * chunk and reduce those in another pass, which spreads the work over more invocations. Each chunk
 * is summed in blocks of 8 and 64 (shaders/reduce.wgsl), so a sum of n terms is a shallow tree
 * (8 + 8 + 16 adds per pass) and its float32 error does not grow with n as a plain loop's does.
 */
const REDUCE_CHUNK = 1024;
const MAX_KERNEL_RANK = 8;

/** Axes to reduce over: one, several, or (undefined) all of them. */
export type Axes = number | readonly number[];

type ReduceOp = 'sum' | 'max' | 'min';
const reduceCodes: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };

/** Axes as the kernel walks them: sizes with the strides of the row-major input. */
interface StridedAxes { shape: number[]; strides: number[] }

/** What one reduction reads and writes, worked out (and validated) before anything launches. */
interface Reduction {
  /** The reduced axes, normalized and sorted. */
  axes: number[];
  /** Output shape as returned, and with the reduced axes kept as 1 (what backward broadcasts from). */
  outShape: number[];
  keptShape: number[];
  /** Elements folded into each output element. */
  reducedCount: number;
  kept: StridedAxes;
  reduced: StridedAxes;
}

function planReduction(op: string, shape: Shape, axes: Axes | undefined, keepDims: boolean): Reduction {
  // normalizeAxis lets rank 0 take axis 0; NumPy (and we) reject any axis of a scalar.
  if (shape.length === 0 && axes !== undefined && (typeof axes === 'number' || axes.length > 0)) {
    const first = typeof axes === 'number' ? axes : axes[0];
    throw new ValueError(`${op}: axis ${first} is out of range for a tensor of rank 0`);
  }
  const axesList = normalizeAxes(op, axes, shape.length);
  const reducedAxes = new Set(axesList);
  const keptShape = shape.map((dim, axis) => (reducedAxes.has(axis) ? 1 : dim));
  const outShape = keepDims ? keptShape : shape.filter((_, axis) => !reducedAxes.has(axis));
  const strides = stridesOf(shape);
  // Neighbouring axes that are both kept (or both reduced) are one axis of the contiguous input.
  const kept: StridedAxes = { shape: [], strides: [] };
  const reduced: StridedAxes = { shape: [], strides: [] };
  let previous: StridedAxes | null = null;
  shape.forEach((dim, axis) => {
    if (dim === 1) return; // size-1 axes move no offset
    const group = reducedAxes.has(axis) ? reduced : kept;
    if (group === previous) {
      group.shape[group.shape.length - 1] *= dim;
      group.strides[group.strides.length - 1] = strides[axis];
    } else {
      group.shape.push(dim);
      group.strides.push(strides[axis]);
    }
    previous = group;
  });
  if (reduced.shape.length === 0) {
    reduced.shape.push(1);
    reduced.strides.push(0);
  }
  if (kept.shape.length > MAX_KERNEL_RANK || reduced.shape.length > MAX_KERNEL_RANK) {
    throw new ShapeError(`${op}: shape ${formatShape(shape)} with axes [${axesList.join(',')}] alternates kept and reduced axes more than ${MAX_KERNEL_RANK} times`);
  }
  return { axes: axesList, outShape, keptShape, reducedCount: sizeOf(reduced.shape), kept, reduced };
}

/** Runs the reduce kernel, pass after pass, until each output element is one value. */
function reducePasses(op: ReduceOp, input: Tensor, plan: Reduction, accumulator: DType): Tensor {
  const outCount = sizeOf(plan.kept.shape);
  const chunks = Math.ceil(plan.reducedCount / REDUCE_CHUNK);
  const out = Tensor.empty(chunks === 1 ? plan.outShape : [outCount, chunks], accumulator);
  launch(reduceKernel, {
    buffers: { x: input.buffer, out: out.buffer },
    uniforms: {
      partialCount: outCount * chunks,
      chunks,
      chunkSize: REDUCE_CHUNK,
      reducedCount: plan.reducedCount,
      keptRank: plan.kept.shape.length,
      reducedRank: plan.reduced.shape.length,
      keptShape: plan.kept.shape,
      keptStrides: plan.kept.strides,
      reducedShape: plan.reduced.shape,
      reducedStrides: plan.reduced.strides,
    },
    variant: {
      aliases: { Element: wgslType(input.dtype), Accumulator: wgslType(accumulator) },
      constants: { OP: reduceCodes[op] },
    },
    threads: outCount * chunks,
  });
  if (chunks === 1) return out;
  const partials: Reduction = {
    ...plan,
    reducedCount: chunks,
    kept: { shape: [outCount], strides: [chunks] },
    reduced: { shape: [chunks], strides: [1] },
  };
  try {
    return reducePasses(op, out, partials, accumulator);
  } finally {
    out.dispose();
  }
}

/** The forward pass shared by sum, max and min (and mean, which sums into float32); `name` is for errors. */
function reduce(op: ReduceOp, x: Tensor, axes: Axes | undefined, keepDims: boolean, accumulator: DType, name: string = op): { out: Tensor; plan: Reduction } {
  x.assertAlive(name);
  const plan = planReduction(name, x.shape, axes, keepDims);
  if (plan.reducedCount === 0) {
    if (op !== 'sum') throw new ValueError(`${name}: cannot reduce over zero elements (shape ${formatShape(x.shape)}), as it has no identity`);
    return { out: full(plan.outShape, 0, accumulator), plan };
  }
  return { out: sizeOf(plan.outShape) === 0 ? Tensor.empty(plan.outShape, accumulator) : reducePasses(op, x, plan, accumulator), plan };
}

/** Gradient of a reduction's output, spread back over the input: dy broadcast along the reduced axes. */
function spreadBack(dy: Tensor, plan: Reduction, inputShape: Shape): Tensor {
  return broadcastTo(reshape(dy, plan.keptShape), inputShape);
}

/** Sum over axes (all when omitted); int32 stays int32 (wrapping on overflow). Empty sums are 0. */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const { out, plan } = reduce('sum', x, axes, keepDims, x.dtype);
  recordOp('sum', [x], out, (dy) => [spreadBack(dy, plan, x.shape)]);
  return out;
}

/** Mean over axes, always float32 (int32 is summed in float32). Empty means are NaN (0 / 0), as NumPy. */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const { out: total, plan } = reduce('sum', x, axes, keepDims, 'float32', 'mean');
  recordOp('sum', [x], total, x.dtype === 'float32' ? (dy) => [spreadBack(dy, plan, x.shape)] : null);
  try {
    return div(total, plan.reducedCount);
  } finally {
    total.dispose();
  }
}

/**
 * max/min backward: dy goes to the elements equal to the result. Ties split it equally (as JAX and
 * PyTorch's amax do), so the gradient still sums to dy. int32 results have no gradient.
 */
function extremum(op: 'max' | 'min', x: Tensor, axes: Axes | undefined, keepDims: boolean): Tensor {
  const { out, plan } = reduce(op, x, axes, keepDims, x.dtype);
  recordOp(op, [x], out, (dy) => {
    const isExtremum = equal(x, reshape(out, plan.keptShape));
    const share = div(isExtremum, sum(isExtremum, plan.axes, true));
    return [mul(share, reshape(dy, plan.keptShape))];
  });
  return out;
}

/** Largest element over axes; NaN if any element is NaN (NumPy). Throws over zero elements. */
export const max = (x: Tensor, axes?: Axes, keepDims = false): Tensor => extremum('max', x, axes, keepDims);
/** Smallest element over axes; NaN if any element is NaN (NumPy). Throws over zero elements. */
export const min = (x: Tensor, axes?: Axes, keepDims = false): Tensor => extremum('min', x, axes, keepDims);

/**
 * Index (int32) of the first largest element along `axis`, or into the flattened tensor when axis
 * is omitted (a scalar, or all-ones shape with keepDims), as NumPy. The first NaN counts as largest.
 * Not differentiable.
 */
export function argmax(x: Tensor, axis?: number, keepDims = false): Tensor {
  x.assertAlive('argmax');
  if (axis !== undefined && x.rank === 0) throw new ValueError(`argmax: axis ${axis} is out of range for a tensor of rank 0`);
  const along = axis === undefined ? undefined : normalizeAxis('argmax', axis, x.rank);
  const outShape = along === undefined
    ? (keepDims ? x.shape.map(() => 1) : [])
    : x.shape.flatMap((dim, a) => (a === along ? (keepDims ? [1] : []) : [dim]));
  const length = along === undefined ? x.size : x.shape[along];
  const inner = along === undefined ? 1 : sizeOf(x.shape.slice(along + 1));
  const outCount = sizeOf(outShape);
  if (length === 0) throw new ValueError(`argmax: cannot take the argmax of zero elements (shape ${formatShape(x.shape)}, axis ${axis ?? 'all'})`);
  const indices = outCount === 0 ? Tensor.empty(outShape, 'int32') : argmaxPasses(x, x, outCount, length, inner, outShape, true);
  recordOp('argmax', [x], indices, null);
  return indices;
}

/** One argmax pass over chunks of the axis; repeats over the partial (value, index) pairs. */
function argmaxPasses(values: Tensor, valueIndices: Tensor, outCount: number, length: number, inner: number, outShape: number[], firstPass: boolean): Tensor {
  const chunks = Math.ceil(length / REDUCE_CHUNK);
  const partialShape = chunks === 1 ? outShape : [outCount, chunks];
  const bestValues = Tensor.empty(partialShape, values.dtype);
  const bestIndices = Tensor.empty(partialShape, 'int32');
  launch(argmaxKernel, {
    buffers: { x: values.buffer, xIndices: valueIndices.buffer, values: bestValues.buffer, indices: bestIndices.buffer },
    uniforms: { partialCount: outCount * chunks, chunks, chunkSize: REDUCE_CHUNK, length, inner },
    variant: {
      aliases: { Element: wgslType(values.dtype) },
      constants: { FIRST_PASS: firstPass ? 1 : 0 },
    },
    threads: outCount * chunks,
  });
  if (chunks === 1) {
    bestValues.dispose();
    return bestIndices;
  }
  try {
    return argmaxPasses(bestValues, bestIndices, outCount, chunks, 1, outShape, false);
  } finally {
    bestValues.dispose();
    bestIndices.dispose();
  }
}
