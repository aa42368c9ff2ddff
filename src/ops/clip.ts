// clip: clamping into [lo, hi], in float32 or int32, as a row whose bounds are scalar inputs (cached
// constants, splatted by the vec4 kernel).
import { ValueError } from '../errors';
import { Tensor, type DType } from '../tensor';
import { mul } from './binary';
import { greaterEqual, lessEqual } from './compare';
import { defineElementwise } from './elementwise';
import { asTensor, type TensorLike } from './operand';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

// NaN stays NaN (as TF.js and NumPy): WGSL's min and max may return either operand for NaN. The
// bounds are never NaN (checked), so only x needs the guard; the gradient is 0 at NaN x.
const clipRow = defineElementwise({
  name: 'clip', inputs: ['x', 'lo', 'hi'], dtypes: { x: 'numeric', lo: 'numeric', hi: 'numeric' },
  body: 'return select(min(max(x, lo), hi), x, isNan(x));',
  int32: 'return min(max(x, lo), hi);',
  gradients: [
    {
      body: 'return select(0.0, dy, x >= lo && x <= hi && !isNan(x));',
      composed: ([x, lo, hi], _out, dy) => mul(dy, mul(greaterEqual(x, lo), lessEqual(x, hi))),
    },
    null,
    null,
  ],
});

/**
 * Clamps every element into [lo, hi]; NaN stays NaN. The gradient passes where lo <= x <= hi (bounds
 * included) and is zero outside and at NaN (as TF.js clipByValue and PyTorch clamp).
 * int32 input stays int32 when the bounds are whole numbers or infinite.
 */
export function clip(x: TensorLike, lo: number, hi: number): Tensor {
  if (typeof lo !== 'number' || typeof hi !== 'number' || Number.isNaN(lo) || Number.isNaN(hi)) {
    throw new ValueError(`clip: bounds must be numbers, got lo ${lo} and hi ${hi}`);
  }
  if (lo > hi) throw new ValueError(`clip: lower bound ${lo} is greater than upper bound ${hi}`);
  const integral = (bound: number): boolean => Number.isInteger(bound) || !Number.isFinite(bound);
  const keepsInt = x instanceof Tensor && x.dtype === 'int32' && integral(lo) && integral(hi);
  const dtype: DType = keepsInt ? 'int32' : 'float32';
  // Infinite bounds become the int32 extremes, which clamp nothing. The bounds are cached constants.
  const bound = (value: number): Tensor => asTensor('clip', keepsInt ? Math.min(Math.max(value, INT32_MIN), INT32_MAX) : value, dtype);
  return clipRow(x, bound(lo), bound(hi));
}
