// Shape ops that move elements without computing on them: reshape (a view), and transpose,
// broadcastTo, slice, concat as one strided copy (shaders/movement.wgsl). Each backward sits beside it.
import broadcastIndexSource from '../../shaders/broadcastIndex.wgsl';
import movementSource from '../../shaders/movement.wgsl';
import { ShapeError, ValueError, formatShape } from '../errors';
import { Tensor } from '../tensor';
import { assertValidShape, broadcastStrides, normalizeAxis, sizeOf, stridesOf, type Shape } from '../shape';
import { MAX_RANK, elementsPerInvocation } from './broadcast';
import { fillDispatch } from './creation';
import { kernelOp, opKernel, type Dispatch, type Step } from './kernelOp';

const movementKernel = opKernel('movement', broadcastIndexSource + movementSource);

/** One side of a strided copy: a tensor, where its element 0 of the walk sits, and its per-axis strides. */
interface StridedView {
  tensor: Tensor;
  offset: number;
  strides: readonly number[];
}

/**
 * The launch that copies `shape`'s worth of elements: walking idx over `shape` row-major,
 * to[to.offset + Σ idx·to.strides] = from[from.offset + Σ idx·from.strides]. The only index math here.
 */
function stridedCopy(op: string, shape: Shape, from: StridedView, to: StridedView): Dispatch[] {
  const count = sizeOf(shape);
  if (count === 0) return [];
  const axes = mergeAxes(shape, from.strides, to.strides);
  if (axes.length > MAX_RANK) {
    throw new ShapeError(`${op}: this copy of shape ${formatShape(shape)} needs ${axes.length} axes; kernels support ${MAX_RANK}`);
  }
  const perInvocation = elementsPerInvocation(axes.map((axis) => axis.size));
  return [{
    kernel: movementKernel,
    tensors: { x: from.tensor, out: to.tensor },
    uniforms: {
      count,
      inOffset: from.offset,
      outOffset: to.offset,
      shape: axes.map((axis) => axis.size),
      inStrides: axes.map((axis) => axis.inStride),
      outStrides: axes.map((axis) => axis.outStride),
    },
    variant: { constants: { RANK: axes.length, PER_INVOCATION: perInvocation } },
    threads: count / perInvocation,
  }];
}

/**
 * Drops size-1 axes and merges neighbours that both sides step through contiguously, so a copy
 * does fewer divisions per element and tensors of rank > 8 still fit the kernel in most cases.
 */
function mergeAxes(shape: Shape, inStrides: readonly number[], outStrides: readonly number[]): { size: number; inStride: number; outStride: number }[] {
  const axes: { size: number; inStride: number; outStride: number }[] = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const outer = axes[axes.length - 1];
    if (outer && outer.inStride === inStrides[d] * size && outer.outStride === outStrides[d] * size) {
      outer.size *= size;
      outer.inStride = inStrides[d];
      outer.outStride = outStrides[d];
    } else {
      axes.push({ size, inStride: inStrides[d], outStride: outStrides[d] });
    }
  });
  return axes;
}

/** A contiguous, row-major view of a whole tensor, starting `offset` elements in. */
function contiguous(tensor: Tensor, offset = 0, shape: Shape = tensor.shape): StridedView {
  return { tensor, offset, strides: stridesOf(shape) };
}

/** Whether the region [start, start + shape) of a row-major tensor of `full` shape is contiguous. */
function isContiguousBlock(start: readonly number[], shape: Shape, full: Shape): boolean {
  let axis = 0;
  while (axis < shape.length && shape[axis] === 1) axis++;
  for (let later = axis + 1; later < shape.length; later++) {
    if (start[later] !== 0 || shape[later] !== full[later]) return false;
  }
  return true;
}

/** Element offset of the index `begin` in a row-major tensor of `shape`. */
function offsetOf(begin: readonly number[], shape: Shape): number {
  const strides = stridesOf(shape);
  return begin.reduce((offset, coordinate, axis) => offset + coordinate * strides[axis], 0);
}

/** The same elements in a new shape, sharing x's buffer (no copy). One dimension may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return kernelOp('reshape', [x], () => ({
    output: Tensor.view(x, resolveReshape(x.shape, shape)),
    steps: () => [],
    backward: (dy) => [reshape(dy, x.shape)],
  }));
}

function resolveReshape(from: Shape, shape: readonly number[]): number[] {
  const wildcards = shape.filter((dim) => dim === -1).length;
  if (wildcards > 1) throw new ShapeError(`reshape: at most one dimension may be -1, got ${formatShape(shape)}`);
  assertValidShape('reshape', shape.filter((dim) => dim !== -1));
  const size = sizeOf(from);
  const known = sizeOf(shape.filter((dim) => dim !== -1));
  const fits = wildcards === 0 ? known === size : known > 0 && size % known === 0;
  if (!fits) {
    throw new ShapeError(`reshape: cannot reshape ${formatShape(from)} (${size} elements) into ${formatShape(shape)}`);
  }
  return shape.map((dim) => (dim === -1 ? size / known : dim));
}

/** Output axis i is input axis perm[i]; the default reverses the axes (a matrix transpose for rank 2). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  return kernelOp('transpose', [x], () => {
    const order = perm ? [...perm] : x.shape.map((_, axis) => x.rank - 1 - axis);
    const isPermutation = order.length === x.rank && [...order].sort((p, q) => p - q).every((axis, i) => axis === i);
    if (!isPermutation) {
      throw new ValueError(`transpose: perm [${order.join(',')}] is not a permutation of the axes of a rank-${x.rank} tensor ${formatShape(x.shape)}`);
    }
    const inStrides = stridesOf(x.shape);
    const inverse = new Array<number>(order.length);
    order.forEach((axis, position) => (inverse[axis] = position));
    return {
      output: { shape: order.map((axis) => x.shape[axis]), dtype: x.dtype },
      steps: (out) => stridedCopy('transpose', out.shape, { tensor: x, offset: 0, strides: order.map((axis) => inStrides[axis]) }, contiguous(out)),
      backward: (dy) => [transpose(dy, inverse)],
    };
  });
}

/** Repeats x along axes of size 1 (and new leading axes) to fill `shape`, by NumPy broadcasting. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return kernelOp('broadcastTo', [x], () => {
    assertValidShape('broadcastTo', shape);
    const leading = shape.length - x.rank;
    const fits = leading >= 0 && x.shape.every((dim, axis) => dim === 1 || dim === shape[leading + axis]);
    if (!fits) throw new ShapeError(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
    return {
      output: { shape, dtype: x.dtype },
      steps: (out) => stridedCopy('broadcastTo', shape, { tensor: x, offset: 0, strides: broadcastStrides(x.shape, shape) }, contiguous(out)),
      // The tape sums dy back to x's shape (src/autograd/unbroadcast.ts).
      backward: (dy) => [dy],
    };
  });
}

/**
 * The block of x starting at `begin` (negative entries count from the end) with `size` per axis;
 * a size of -1, or no size at all, runs to the end of the axis.
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  return kernelOp('slice', [x], () => {
    const { start, shape } = resolveSlice(x.shape, begin, size);
    const offset = offsetOf(start, x.shape);
    // A run of whole rows (fit's batches) is one contiguous block: a buffer copy, not a dispatch.
    const copy = isContiguousBlock(start, shape, x.shape);
    return {
      output: { shape, dtype: x.dtype },
      steps: (out) => (copy
        ? [{ copy: { from: x, fromOffset: offset, to: out, toOffset: 0, count: out.size } }]
        : stridedCopy('slice', shape, { tensor: x, offset, strides: stridesOf(x.shape) }, contiguous(out))),
      backward: (dy) => [padWithZeros(dy, start, x.shape)],
    };
  });
}

function resolveSlice(shape: Shape, begin: readonly number[], size?: readonly number[]): { start: number[]; shape: number[] } {
  const sizes = size ?? shape.map(() => -1);
  const where = `begin [${begin.join(',')}] size [${sizes.join(',')}]`;
  if (begin.length !== shape.length || sizes.length !== shape.length) {
    throw new ShapeError(`slice: ${where} must have one entry per axis of ${formatShape(shape)}`);
  }
  const start = begin.map((b, axis) => (b < 0 ? b + shape[axis] : b));
  const extent = sizes.map((s, axis) => (s === -1 ? shape[axis] - start[axis] : s));
  const inBounds = shape.every((dim, axis) =>
    Number.isInteger(start[axis]) && Number.isInteger(extent[axis]) &&
    start[axis] >= 0 && extent[axis] >= 0 && start[axis] + extent[axis] <= dim);
  if (!inBounds) throw new ShapeError(`slice: ${where} is out of bounds for shape ${formatShape(shape)}`);
  return { start, shape: extent };
}

/** x placed at `begin` inside zeros of `shape`: the gradient of slice (and slice is its gradient). */
function padWithZeros(x: Tensor, begin: readonly number[], shape: Shape): Tensor {
  return kernelOp('pad', [x], () => ({
    output: { shape, dtype: x.dtype },
    steps: (out) => [
      fillDispatch(out, 0),
      ...stridedCopy('slice (backward)', x.shape, contiguous(x), { tensor: out, offset: offsetOf(begin, shape), strides: stridesOf(shape) }),
    ],
    backward: (dy) => [slice(dy, begin, x.shape)],
  }));
}

/** Joins tensors along an existing axis; every other dimension, the rank and the dtype must agree. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('concat: needs at least one tensor');
  return kernelOp('concat', tensors, () => {
    const shapes = tensors.map((t) => `${formatShape(t.shape)}`).join(', ');
    const [first] = tensors;
    if (tensors.some((t) => t.rank !== first.rank)) throw new ShapeError(`concat: ranks differ: ${shapes}`);
    if (first.rank === 0) throw new ShapeError('concat: cannot concatenate scalars (rank 0); reshape them to [1] first');
    const along = normalizeAxis('concat', axis, first.rank);
    if (tensors.some((t) => t.dtype !== first.dtype)) {
      throw new ValueError(`concat: dtypes differ: ${tensors.map((t) => `${t.dtype} ${formatShape(t.shape)}`).join(', ')}`);
    }
    if (tensors.some((t) => t.shape.some((dim, a) => a !== along && dim !== first.shape[a]))) {
      throw new ShapeError(`concat: shapes ${shapes} differ off axis ${along}`);
    }
    let total = 0;
    const starts = tensors.map((t) => {
      const start = total;
      total += t.shape[along];
      return start;
    });
    const shape = first.shape.map((dim, a) => (a === along ? total : dim));
    const outStrides = stridesOf(shape);
    // Along the leading axis (all dims before it 1) each piece is one contiguous block of the output:
    // a buffer copy, cheaper than a dispatch (fit stacks its per-epoch figures this way).
    const leading = shape.slice(0, along).every((dim) => dim === 1);
    return {
      output: { shape, dtype: first.dtype },
      steps: (out) => tensors.flatMap((piece, i): Step[] => {
        const offset = starts[i] * outStrides[along];
        return leading
          ? [{ copy: { from: piece, fromOffset: 0, to: out, toOffset: offset, count: piece.size } }]
          : stridedCopy('concat', piece.shape, contiguous(piece), { tensor: out, offset, strides: outStrides });
      }),
      backward: (dy) => tensors.map((piece, i) => slice(dy, shape.map((_, a) => (a === along ? starts[i] : 0)), piece.shape)),
    };
  });
}
