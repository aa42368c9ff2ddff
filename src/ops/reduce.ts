// Reductions over any set of axes (sum, mean, max, min) and argmax, each beside its backward rule.
import reduceSource from '../../shaders/reduce.wgsl';
import reduceIOSource from '../../shaders/reduceIO.wgsl';
import argmaxSource from '../../shaders/reduceArgmax.wgsl';
import ieeeSource from '../../shaders/ieee.wgsl';
import { ShapeError, ValueError, formatShape } from '../errors';
import { Tensor, type DType } from '../tensor';
import { normalizeAxes, normalizeAxis, sizeOf, stridesOf, type Shape } from '../shape';
import { div, mul } from './binary';
import { equal } from './compare';
import { fillDispatch } from './creation';
import { kernelOp, opKernel, selectorCodes, type Dispatch, type OpBackward, type Scratch } from './kernelOp';
import { broadcastTo, reshape } from './movement';
import { wgslType } from './operand';

/** The reduce kernel's OP selector: SUM, MAX and MIN in the WGSL. */
const reduceOps = selectorCodes<ReduceOp>(['sum', 'max', 'min']);
/** The reduce kernel without its terms and results, which wg.jit may fuse elementwise ops into. */
const reduceCore = ieeeSource + reduceOps.wgsl + reduceSource;
const reduceKernel = opKernel('reduce', reduceCore + reduceIOSource);
const argmaxKernel = opKernel('reduceArgmax', ieeeSource + argmaxSource);

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

/**
 * The reduce kernel's passes from `input` into `output`: while a pass leaves more than one partial
 * result per output element, it writes them to a scratch tensor that the next pass reduces.
 */
function reductionDispatches(op: ReduceOp, input: Tensor, output: Tensor, plan: Reduction, scratch: Scratch): Dispatch[] {
  const dispatches: Dispatch[] = [];
  let source = input;
  let pass = plan;
  for (;;) {
    const outCount = sizeOf(pass.kept.shape);
    const chunks = Math.ceil(pass.reducedCount / REDUCE_CHUNK);
    const target = chunks === 1 ? output : scratch([outCount, chunks], output.dtype);
    const variant = {
      aliases: { Element: wgslType(source.dtype), Accumulator: wgslType(output.dtype) },
      constants: { OP: reduceOps.code[op] },
    };
    dispatches.push({
      kernel: reduceKernel,
      tensors: { x: source, out: target },
      uniforms: {
        partialCount: outCount * chunks,
        chunks,
        chunkSize: REDUCE_CHUNK,
        reducedCount: pass.reducedCount,
        keptRank: pass.kept.shape.length,
        reducedRank: pass.reduced.shape.length,
        keptShape: pass.kept.shape,
        keptStrides: pass.kept.strides,
        reducedShape: pass.reduced.shape,
        reducedStrides: pass.reduced.strides,
      },
      variant,
      reduction: {
        source: reduceCore, variant, element: variant.aliases.Element, accumulator: variant.aliases.Accumulator,
        first: source === input, last: chunks === 1, inputShape: source.shape, outShape: target.shape,
        op, axes: source === input ? plan.axes : [1],
      },
      threads: outCount * chunks,
    });
    if (chunks === 1) return dispatches;
    source = target;
    pass = { ...pass, reducedCount: chunks, kept: { shape: [outCount], strides: [chunks] }, reduced: { shape: [chunks], strides: [1] } };
  }
}

/** The passes that write sum(input, axes) into `output`, for an op that finishes with a sum. */
export function sumDispatches(input: Tensor, axes: Axes, output: Tensor, scratch: Scratch): Dispatch[] {
  return output.size === 0 ? [] : reductionDispatches('sum', input, output, planReduction('sum', input.shape, axes, false), scratch);
}

/**
 * A reduction as an op: sum, max and min (and mean, which sums into float32), recorded under
 * `name` with the rule `backward` builds from the plan. Empty sums are 0; max and min of nothing throw.
 * Reducing only axes of size 1 folds one element per output, which is that element (a NaN stays
 * the same NaN): the output is a view of x (as reshape's), no dispatch, and its gradient is dy
 * reshaped back.
 */
function reduce(name: string, op: ReduceOp, x: Tensor, axes: Axes | undefined, keepDims: boolean, accumulator: DType, backward: (plan: Reduction) => OpBackward | null): Tensor {
  return kernelOp(name, [x], () => {
    const plan = planReduction(name, x.shape, axes, keepDims);
    if (plan.reducedCount === 0 && op !== 'sum') {
      throw new ValueError(`${name}: cannot reduce over zero elements (shape ${formatShape(x.shape)}), as it has no identity`);
    }
    // Not for a variable: its in-place updates (an optimizer step, assign) would show through the view.
    if (plan.reducedCount === 1 && accumulator === x.dtype && !x.trainable) {
      return { output: Tensor.view(x, plan.outShape), steps: () => [], backward: backward(plan) && ((dy) => [reshape(dy, x.shape)]) };
    }
    return {
      output: { shape: plan.outShape, dtype: accumulator },
      steps: (out, scratch) => {
        if (plan.reducedCount === 0) return [fillDispatch(out, 0)];
        return out.size === 0 ? [] : reductionDispatches(op, x, out, plan, scratch);
      },
      backward: backward(plan),
    };
  });
}

/** Gradient of a reduction's output, spread back over the input: dy broadcast along the reduced axes. */
function spreadBack(dy: Tensor, plan: Reduction, inputShape: Shape): Tensor {
  return broadcastTo(reshape(dy, plan.keptShape), inputShape);
}

/** Sum over axes (all when omitted); int32 stays int32 (wrapping on overflow). Empty sums are 0. */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduce('sum', 'sum', x, axes, keepDims, x.dtype, (plan) => (dy) => [spreadBack(dy, plan, x.shape)]);
}

/** Mean over axes, always float32 (int32 is summed in float32). Empty means are NaN (0 / 0), as NumPy. */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  let count = 0;
  const total = reduce('mean', 'sum', x, axes, keepDims, 'float32', (plan) => {
    count = plan.reducedCount; // the divisor, known once the axes are validated
    return x.dtype === 'float32' ? (dy) => [spreadBack(dy, plan, x.shape)] : null;
  });
  // x / 1 is x, bit for bit: the mean of one float32 element is what reduce returned.
  if (count === 1 && x.dtype === 'float32') return total;
  try {
    return div(total, count);
  } finally {
    total.dispose();
  }
}

/**
 * max/min backward: dy goes to the elements equal to the result. Ties split it equally (as JAX and
 * PyTorch's amax do), so the gradient still sums to dy. int32 results have no gradient.
 */
function extremum(op: 'max' | 'min', x: Tensor, axes: Axes | undefined, keepDims: boolean): Tensor {
  return reduce(op, op, x, axes, keepDims, x.dtype, (plan) => (dy, _needed, out) => {
    const isExtremum = equal(x, reshape(out, plan.keptShape));
    const share = div(isExtremum, sum(isExtremum, plan.axes, true));
    return [mul(share, reshape(dy, plan.keptShape))];
  });
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
  return kernelOp('argmax', [x], () => {
    if (axis !== undefined && x.rank === 0) throw new ValueError(`argmax: axis ${axis} is out of range for a tensor of rank 0`);
    const along = axis === undefined ? undefined : normalizeAxis('argmax', axis, x.rank);
    const outShape = along === undefined
      ? (keepDims ? x.shape.map(() => 1) : [])
      : x.shape.flatMap((dim, a) => (a === along ? (keepDims ? [1] : []) : [dim]));
    const length = along === undefined ? x.size : x.shape[along];
    const inner = along === undefined ? 1 : sizeOf(x.shape.slice(along + 1));
    if (length === 0) throw new ValueError(`argmax: cannot take the argmax of zero elements (shape ${formatShape(x.shape)}, axis ${axis ?? 'all'})`);
    return {
      output: { shape: outShape, dtype: 'int32' },
      steps: (indices, scratch) => (indices.size === 0 ? [] : argmaxDispatches(x, indices, length, inner, scratch)),
      backward: null,
    };
  });
}

/**
 * argmax passes over chunks of the axis: each writes the best (value, index) of every chunk, and
 * the next pass picks among those until one index per output element is left.
 */
function argmaxDispatches(x: Tensor, indices: Tensor, axisLength: number, axisInner: number, scratch: Scratch): Dispatch[] {
  const dispatches: Dispatch[] = [];
  const outCount = indices.size;
  let pass = { values: x, valueIndices: x, length: axisLength, inner: axisInner, firstPass: true };
  for (;;) {
    const chunks = Math.ceil(pass.length / REDUCE_CHUNK);
    const last = chunks === 1;
    const bestValues = scratch(last ? indices.shape : [outCount, chunks], pass.values.dtype);
    const bestIndices = last ? indices : scratch([outCount, chunks], 'int32');
    dispatches.push({
      kernel: argmaxKernel,
      tensors: { x: pass.values, xIndices: pass.valueIndices, values: bestValues, indices: bestIndices },
      uniforms: { partialCount: outCount * chunks, chunks, chunkSize: REDUCE_CHUNK, length: pass.length, inner: pass.inner },
      variant: {
        aliases: { Element: wgslType(pass.values.dtype) },
        constants: { FIRST_PASS: pass.firstPass ? 1 : 0 },
      },
      threads: outCount * chunks,
    });
    if (last) return dispatches;
    // The next pass picks among the chunks' winners, contiguous per output element.
    pass = { values: bestValues, valueIndices: bestIndices, length: chunks, inner: 1, firstPass: false };
  }
}
