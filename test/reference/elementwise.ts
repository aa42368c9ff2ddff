// Elementwise maps with NumPy broadcasting.
import { type NdArray, multiIndex, sizeOf } from './ndarray';

/**
 * NumPy broadcasting: align shapes at their last axis; each pair of dimensions must be equal or
 * one of them 1. Throws on a mismatch.
 */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((shape) => shape.length));
  const result = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const axis = rank - shape.length + i;
      const dim = shape[i];
      if (dim === result[axis] || dim === 1) continue;
      if (result[axis] !== 1) {
        throw new Error(`cannot broadcast shapes ${shapes.map((s) => `[${s.join(',')}]`).join(' and ')}`);
      }
      result[axis] = dim;
    }
  }
  return result;
}

/** The flat offset in an array of inShape read by output element outIndex under broadcasting. */
export function broadcastOffset(outIndex: readonly number[], inShape: readonly number[]): number {
  const skipped = outIndex.length - inShape.length;
  let offset = 0;
  for (let axis = 0; axis < inShape.length; axis++) {
    const coordinate = inShape[axis] === 1 ? 0 : outIndex[skipped + axis];
    offset = offset * inShape[axis] + coordinate;
  }
  return offset;
}

export function unary(x: NdArray, fn: (value: number) => number): NdArray {
  return { shape: [...x.shape], data: x.data.map(fn) };
}

/** fn applied to the broadcast tuple of elements of the inputs, one output element at a time. */
export function mapBroadcast(inputs: readonly NdArray[], fn: (values: number[]) => number): NdArray {
  const shape = broadcastShapes(...inputs.map((input) => input.shape));
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const index = multiIndex(i, shape);
    data[i] = fn(inputs.map((input) => input.data[broadcastOffset(index, input.shape)]));
  }
  return { shape, data };
}

export function binary(a: NdArray, b: NdArray, fn: (a: number, b: number) => number): NdArray {
  return mapBroadcast([a, b], ([x, y]) => fn(x, y));
}

/** E.g. where(condition, x, y). */
export function ternary(a: NdArray, b: NdArray, c: NdArray, fn: (a: number, b: number, c: number) => number): NdArray {
  return mapBroadcast([a, b, c], ([x, y, z]) => fn(x, y, z));
}

/** The six comparisons as JavaScript (IEEE-754) evaluates them: NaN is unequal and unordered, −0 equals 0. */
export const comparisons: Record<string, (a: number, b: number) => boolean> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  greater: (a, b) => a > b,
  greaterEqual: (a, b) => a >= b,
  less: (a, b) => a < b,
  lessEqual: (a, b) => a <= b,
};
