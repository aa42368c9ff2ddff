// Softmax and log-softmax along one axis, shifted by the maximum so large inputs do not overflow.
import { binary, unary } from './elementwise';
import { type NdArray, normalizeAxis } from './ndarray';
import { max, sum } from './reduce';

/** exp(x - max) along axis, and its sum (kept as a size-1 axis). */
function shiftedExp(x: NdArray, axis: number): { shift: NdArray; exps: NdArray; total: NdArray } {
  const shift = max(x, axis, true);
  const exps = unary(binary(x, shift, (value, m) => value - m), Math.exp);
  return { shift, exps, total: sum(exps, axis, true) };
}

export function softmax(x: NdArray, axis = -1): NdArray {
  const { exps, total } = shiftedExp(x, axis);
  return binary(exps, total, (e, s) => e / s);
}

/** log Σ exp(x) along axis, computed as m + log Σ exp(x - m) with m the maximum. */
export function logSumExp(x: NdArray, axis = -1, keepDims = false): NdArray {
  const { shift, total } = shiftedExp(x, axis);
  const result = binary(shift, total, (m, s) => m + Math.log(s));
  const along = normalizeAxis(axis, x.shape.length);
  return keepDims ? result : { shape: x.shape.filter((_, a) => a !== along), data: result.data };
}

export function logSoftmax(x: NdArray, axis = -1): NdArray {
  return binary(x, logSumExp(x, axis, true), (value, lse) => value - lse);
}
