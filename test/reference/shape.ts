// Ops that move elements without computing on them.
import { broadcastOffset, broadcastShapes } from './elementwise';
import { type NdArray, flatIndex, multiIndex, normalizeAxis, sizeOf } from './ndarray';

const show = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/** Output axis i is input axis perm[i]; the default reverses the axes (NumPy's .T). */
export function transpose(x: NdArray, perm?: readonly number[]): NdArray {
  const rank = x.shape.length;
  const order = perm ?? x.shape.map((_, axis) => rank - 1 - axis);
  const sorted = [...order].sort((p, q) => p - q);
  if (order.length !== rank || sorted.some((axis, i) => axis !== i)) {
    throw new Error(`transpose: [${order.join(',')}] is not a permutation of the axes of ${show(x.shape)}`);
  }
  const shape = order.map((axis) => x.shape[axis]);
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    const outIndex = multiIndex(i, shape);
    const inIndex = new Array<number>(rank);
    order.forEach((axis, position) => (inIndex[axis] = outIndex[position]));
    data[i] = x.data[flatIndex(inIndex, x.shape)];
  }
  return { shape, data };
}

export function broadcastTo(x: NdArray, shape: readonly number[]): NdArray {
  const target = [...shape];
  const result = broadcastShapes(x.shape, target);
  if (show(result) !== show(target)) throw new Error(`broadcastTo: cannot broadcast ${show(x.shape)} to ${show(target)}`);
  const data = new Float64Array(sizeOf(target));
  for (let i = 0; i < data.length; i++) data[i] = x.data[broadcastOffset(multiIndex(i, target), x.shape)];
  return { shape: target, data };
}

/** The block starting at begin with the given size per axis; a size of -1 runs to the end. */
export function slice(x: NdArray, begin: readonly number[], size: readonly number[]): NdArray {
  const rank = x.shape.length;
  if (begin.length !== rank || size.length !== rank) {
    throw new Error(`slice: begin [${begin.join(',')}] and size [${size.join(',')}] must have rank ${rank}`);
  }
  const shape = size.map((dim, axis) => (dim === -1 ? x.shape[axis] - begin[axis] : dim));
  shape.forEach((dim, axis) => {
    if (begin[axis] < 0 || dim < 0 || begin[axis] + dim > x.shape[axis]) {
      throw new Error(`slice: begin [${begin.join(',')}] size [${size.join(',')}] exceeds ${show(x.shape)}`);
    }
  });
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const index = multiIndex(i, shape).map((coordinate, axis) => coordinate + begin[axis]);
    data[i] = x.data[flatIndex(index, x.shape)];
  }
  return { shape, data };
}

/** Joins arrays along an existing axis; all other dimensions must agree. */
export function concat(arrays: readonly NdArray[], axis: number): NdArray {
  if (arrays.length === 0) throw new Error('concat: no arrays');
  const rank = arrays[0].shape.length;
  const along = normalizeAxis(axis, rank);
  for (const array of arrays) {
    const agrees = array.shape.length === rank && array.shape.every((dim, a) => a === along || dim === arrays[0].shape[a]);
    if (!agrees) throw new Error(`concat: shapes ${arrays.map((a) => show(a.shape)).join(', ')} differ off axis ${along}`);
  }
  const shape = [...arrays[0].shape];
  shape[along] = arrays.reduce((total, array) => total + array.shape[along], 0);
  const data = new Float64Array(sizeOf(shape));
  let start = 0;
  for (const array of arrays) {
    for (let i = 0; i < array.data.length; i++) {
      const index = multiIndex(i, array.shape);
      index[along] += start;
      data[flatIndex(index, shape)] = array.data[i];
    }
    start += array.shape[along];
  }
  return { shape, data };
}

/**
 * Picks entries of x along axis by integer indices of any shape (numpy.take): the result has
 * shape x.shape[:axis] + indices.shape + x.shape[axis+1:]. Indices outside [0, dim) throw.
 */
/**
 * tf.gather(x, indices, axis, batchDims), by its definition: the first batchDims coordinates of the
 * output pick both x's and indices' batch, the next (axis − batchDims) run over x, the next
 * indices.rank − batchDims over indices, the rest over x past axis.
 */
export function gather(x: NdArray, indices: NdArray, axis = 0, batchDims = 0): NdArray {
  const along = normalizeAxis(axis, x.shape.length);
  const indexShape = indices.shape.slice(batchDims);
  const shape = [...x.shape.slice(0, along), ...indexShape, ...x.shape.slice(along + 1)];
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const index = multiIndex(i, shape);
    const indicesIndex = [...index.slice(0, batchDims), ...index.slice(along, along + indexShape.length)];
    const picked = indices.data[flatIndex(indicesIndex, indices.shape)];
    if (!Number.isInteger(picked) || picked < 0 || picked >= x.shape[along]) {
      throw new Error(`gather: index ${picked} is out of range for axis ${along} of ${show(x.shape)}`);
    }
    const source = [...index.slice(0, along), picked, ...index.slice(along + indexShape.length)];
    data[i] = x.data[flatIndex(source, x.shape)];
  }
  return { shape, data };
}

/** indices.shape + [depth], 1 where the last coordinate equals the index; out-of-range indices give a row of 0s. */
export function oneHot(indices: NdArray, depth: number): NdArray {
  const data = new Float64Array(indices.data.length * depth);
  indices.data.forEach((index, i) => {
    if (Number.isInteger(index) && index >= 0 && index < depth) data[i * depth + index] = 1;
  });
  return { shape: [...indices.shape, depth], data };
}
