// Reductions over a set of axes, NumPy style: negative axes count from the end, omitted axes
// mean all of them, keepDims leaves the reduced axes in place with size 1.
import { binary } from './elementwise';
import { type NdArray, flatIndex, multiIndex, normalizeAxis, sizeOf } from './ndarray';

/** Axes to reduce over: one, several, or (undefined) all. */
export type Axes = number | readonly number[] | undefined;

function resolveAxes(axes: Axes, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, axis) => axis);
  const list = (typeof axes === 'number' ? [axes] : [...axes]).map((axis) => normalizeAxis(axis, rank));
  if (new Set(list).size !== list.length) throw new Error(`repeated axis in [${list.join(',')}]`);
  return list;
}

function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims
    ? shape.map((dim, axis) => (axes.includes(axis) ? 1 : dim))
    : shape.filter((_, axis) => !axes.includes(axis));
}

/** Folds every element into its output slot with combine, starting from initial. */
export function reduce(
  x: NdArray,
  axes: Axes,
  keepDims: boolean,
  initial: number,
  combine: (accumulated: number, value: number) => number,
): NdArray {
  const reduced = resolveAxes(axes, x.shape.length);
  const keptShape = reducedShape(x.shape, reduced, true);
  const data = new Float64Array(sizeOf(keptShape)).fill(initial);
  for (let i = 0; i < x.data.length; i++) {
    const index = multiIndex(i, x.shape).map((coordinate, axis) => (reduced.includes(axis) ? 0 : coordinate));
    const out = flatIndex(index, keptShape);
    data[out] = combine(data[out], x.data[i]);
  }
  return { shape: reducedShape(x.shape, reduced, keepDims), data };
}

export function sum(x: NdArray, axes?: Axes, keepDims = false): NdArray {
  return reduce(x, axes, keepDims, 0, (total, value) => total + value);
}

export function prod(x: NdArray, axes?: Axes, keepDims = false): NdArray {
  return reduce(x, axes, keepDims, 1, (total, value) => total * value);
}

/** Number of elements folded into each output element. */
function reducedCount(x: NdArray, axes: Axes): number {
  return sizeOf(resolveAxes(axes, x.shape.length).map((axis) => x.shape[axis]));
}

export function mean(x: NdArray, axes?: Axes, keepDims = false): NdArray {
  const count = reducedCount(x, axes);
  const total = sum(x, axes, keepDims);
  return { shape: total.shape, data: total.data.map((value) => value / count) };
}

/** Population variance (NumPy's default ddof = 0), as used by batch and layer normalisation. */
export function variance(x: NdArray, axes?: Axes, keepDims = false): NdArray {
  const squaredDeviations = binary(x, mean(x, axes, true), (value, centre) => (value - centre) ** 2);
  return mean(squaredDeviations, axes, keepDims);
}

/** NaN wins, as in NumPy. */
export function max(x: NdArray, axes?: Axes, keepDims = false): NdArray {
  return reduce(x, axes, keepDims, -Infinity, Math.max);
}

export function min(x: NdArray, axes?: Axes, keepDims = false): NdArray {
  return reduce(x, axes, keepDims, Infinity, Math.min);
}

/** Index along one axis (or into the flattened array) of the first largest element. */
export function argmax(x: NdArray, axis?: number, keepDims = false): NdArray {
  return argBest(x, axis, keepDims, (value, best) => value > best);
}

export function argmin(x: NdArray, axis?: number, keepDims = false): NdArray {
  return argBest(x, axis, keepDims, (value, best) => value < best);
}

function argBest(x: NdArray, axis: number | undefined, keepDims: boolean, beats: (value: number, best: number) => boolean): NdArray {
  if (axis === undefined) {
    const flat = argBest({ shape: [x.data.length], data: x.data }, 0, false, beats);
    return keepDims ? { shape: x.shape.map(() => 1), data: flat.data } : flat;
  }
  const along = normalizeAxis(axis, x.shape.length);
  const keptShape = reducedShape(x.shape, [along], true);
  const bestValue = new Float64Array(sizeOf(keptShape)).fill(NaN);
  const bestIndex = new Float64Array(sizeOf(keptShape)).fill(-1);
  for (let i = 0; i < x.data.length; i++) {
    const index = multiIndex(i, x.shape);
    const position = index[along];
    index[along] = 0;
    const out = flatIndex(index, keptShape);
    const value = x.data[i];
    const best = bestValue[out];
    // The first element seeds the slot; a NaN, once found, is never beaten (NumPy semantics).
    if (bestIndex[out] === -1 || (!Number.isNaN(best) && (Number.isNaN(value) || beats(value, best)))) {
      bestValue[out] = value;
      bestIndex[out] = position;
    }
  }
  return { shape: reducedShape(x.shape, [along], keepDims), data: bestIndex };
}
