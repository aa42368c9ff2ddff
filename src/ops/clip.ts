// clip: clamping into [lo, hi], in float32 or int32.
import clipSource from '../../shaders/clip.wgsl';
import ieeeSource from '../../shaders/ieee.wgsl';
import { recordOp } from '../autograd/recorder';
import { ValueError } from '../errors';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor, type DType } from '../tensor';
import { mul } from './binary';
import { toDtype } from './cast';
import { greaterEqual, lessEqual } from './compare';
import { releaseTemporary, wgslType, type TensorLike } from './operand';

const clipKernel = defineKernel('clip', ieeeSource + clipSource);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Clamps every element into [lo, hi]; NaN stays NaN. The gradient passes where lo <= x <= hi (bounds
 * included) and is zero outside and at NaN (as TF.js clipByValue and PyTorch clamp). int32 input stays int32 when the bounds are whole numbers or infinite.
 */
export function clip(input: TensorLike, lo: number, hi: number): Tensor {
  if (typeof lo !== 'number' || typeof hi !== 'number' || Number.isNaN(lo) || Number.isNaN(hi)) {
    throw new ValueError(`clip: bounds must be numbers, got lo ${lo} and hi ${hi}`);
  }
  if (lo > hi) throw new ValueError(`clip: lower bound ${lo} is greater than upper bound ${hi}`);
  const integral = (bound: number): boolean => Number.isInteger(bound) || !Number.isFinite(bound);
  const keepsInt = input instanceof Tensor && input.dtype === 'int32' && integral(lo) && integral(hi);
  const dtype: DType = keepsInt ? 'int32' : 'float32';
  // Infinite bounds become the int32 extremes, which clamp nothing.
  const bound = (value: number): number => (keepsInt ? Math.min(Math.max(value, INT32_MIN), INT32_MAX) : value);
  const x = toDtype('clip', input, dtype);
  try {
    const out = Tensor.empty(x.shape, dtype);
    launch(clipKernel, {
      buffers: { x: x.buffer, out: out.buffer },
      uniforms: { count: out.size, lo: bound(lo), hi: bound(hi) },
      variant: { aliases: { Element: wgslType(dtype) } },
      threads: out.size,
    });
    recordOp('clip', [x], out, (dy) => [mul(dy, mul(greaterEqual(x, lo), lessEqual(x, hi)))]);
    return out;
  } finally {
    releaseTemporary(input, x);
  }
}
