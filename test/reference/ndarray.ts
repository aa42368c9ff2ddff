// A plain row-major float64 n-d array: the data type every reference implementation works on.

export interface NdArray {
  shape: number[];
  data: Float64Array;
}

/** Number of elements of a shape; [] (a scalar) has one. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Row-major strides, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  return strides;
}

export function ndarray(shape: readonly number[], data: ArrayLike<number>): NdArray {
  if (data.length !== sizeOf(shape)) {
    throw new Error(`ndarray: ${data.length} values do not fill shape [${shape.join(',')}]`);
  }
  return { shape: [...shape], data: Float64Array.from(data) };
}

export function zeros(shape: readonly number[]): NdArray {
  return { shape: [...shape], data: new Float64Array(sizeOf(shape)) };
}

export function full(shape: readonly number[], value: number): NdArray {
  return { shape: [...shape], data: new Float64Array(sizeOf(shape)).fill(value) };
}

export function scalar(value: number): NdArray {
  return { shape: [], data: Float64Array.of(value) };
}

/** 0, 1, …, n-1 as a 1-D array. */
export function arange(n: number): NdArray {
  return { shape: [n], data: Float64Array.from({ length: n }, (_, i) => i) };
}

/** A copy with a new shape holding the same number of elements; one dimension may be -1. */
export function reshape(x: NdArray, shape: readonly number[]): NdArray {
  const known = sizeOf(shape.filter((dim) => dim !== -1));
  const resolved = shape.map((dim) => (dim === -1 ? x.data.length / known : dim));
  return ndarray(resolved, x.data);
}

/** Multi-index → flat row-major offset. */
export function flatIndex(index: readonly number[], shape: readonly number[]): number {
  let offset = 0;
  for (let axis = 0; axis < shape.length; axis++) offset = offset * shape[axis] + index[axis];
  return offset;
}

/** Flat row-major offset → multi-index. */
export function multiIndex(offset: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index[axis] = offset % shape[axis];
    offset = Math.floor(offset / shape[axis]);
  }
  return index;
}

export function get(x: NdArray, index: readonly number[]): number {
  return x.data[flatIndex(index, x.shape)];
}

/** Normalises a possibly negative axis against a rank, throwing when it is out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Nested JS arrays → NdArray, e.g. fromNested([[1, 2], [3, 4]]). */
export type Nested = number | Nested[];
export function fromNested(values: Nested): NdArray {
  const shape: number[] = [];
  for (let level: Nested = values; Array.isArray(level); level = level[0]) shape.push(level.length);
  const flat: number[] = [];
  const collect = (level: Nested): void => {
    if (Array.isArray(level)) level.forEach(collect);
    else flat.push(level);
  };
  collect(values);
  return ndarray(shape, flat);
}
