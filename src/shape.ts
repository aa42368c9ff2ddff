// Shape arithmetic shared by every op: sizes, strides, broadcasting and axis normalization.
import { ShapeError, ValueError, formatShape } from './errors';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/** NumPy broadcasting: dims are matched from the right; each pair must be equal or contain a 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const result = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const dimA = a[a.length - i] ?? 1;
    const dimB = b[b.length - i] ?? 1;
    if (dimA !== dimB && dimA !== 1 && dimB !== 1) {
      throw new ShapeError(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together`);
    }
    result[rank - i] = dimA === 1 ? dimB : dimA;
  }
  return result;
}

/**
 * Strides for reading an input of `shape` as if it had `outShape`: broadcast dims get stride 0,
 * leading dims the input lacks are padded in.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, axis) => {
    const inputAxis = axis - offset;
    if (inputAxis < 0 || shape[inputAxis] === 1) return 0;
    return strides[inputAxis];
  });
}

/** Maps a possibly negative axis into [0, rank); names the op, axis and rank when out of range. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new ValueError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalizes a list of axes (undefined = all), rejecting duplicates. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const normalized = list.map((axis) => normalizeAxis(op, axis, rank));
  if (new Set(normalized).size !== normalized.length) throw new ValueError(`${op}: repeated axis in [${list.join(',')}]`);
  return normalized.sort((x, y) => x - y);
}

/** Checks a user-given shape: non-negative integers. */
export function assertValidShape(op: string, shape: Shape): void {
  if (!shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
    throw new ShapeError(`${op}: invalid shape ${formatShape(shape)}: dimensions must be non-negative integers`);
  }
}
