// Comparisons (float32 0/1 results), where and clip, with NumPy broadcasting.
import broadcastIndexSource from '../../shaders/broadcastIndex.wgsl';
import compareSource from '../../shaders/compare.wgsl';
import whereSource from '../../shaders/where.wgsl';
import clipSource from '../../shaders/clip.wgsl';
import ieeeSource from '../../shaders/ieee.wgsl';
import { recordOp } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { broadcastShapes, type Shape } from '../shape';
import { Tensor, type DType } from '../tensor';
import { mul, toDtype } from './binary';
import { broadcastUniforms, unbroadcast } from './broadcast';
import { asTensor, releaseTemporary, resultDtype, wgslType, type TensorLike } from './operand';

const compareKernel = defineKernel('compare', ieeeSource + broadcastIndexSource + compareSource);
const whereKernel = defineKernel('where', broadcastIndexSource + whereSource);
const clipKernel = defineKernel('clip', ieeeSource + clipSource);

/** Each comparison's code in shaders/compare.wgsl. */
const comparisonCodes = { equal: 0, notEqual: 1, greater: 2, greaterEqual: 3, less: 4, lessEqual: 5 } as const;
type ComparisonName = keyof typeof comparisonCodes;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The shape an operand will have (a number is a scalar), checking a tensor is still alive. */
function operandShape(op: string, value: TensorLike): Shape {
  if (value instanceof Tensor) {
    value.assertAlive(op);
    return value.shape;
  }
  return [];
}

/**
 * a OP b elementwise as float32 1/0. Operands compute in int32 when both are int32, else in float32.
 * Not differentiable: the result is piecewise constant.
 */
function compare(op: ComparisonName, left: TensorLike, right: TensorLike): Tensor {
  const [shapeA, shapeB] = [operandShape(op, left), operandShape(op, right)];
  const outShape = broadcastShapes(op, shapeA, shapeB);
  const strides = broadcastUniforms(op, outShape, { stridesA: shapeA, stridesB: shapeB });
  const dtype = resultDtype(left, right);
  const a = toDtype(op, left, dtype);
  const b = toDtype(op, right, dtype);
  try {
    const out = Tensor.empty(outShape, 'float32');
    launch(compareKernel, {
      buffers: { a: a.buffer, b: b.buffer, out: out.buffer },
      uniforms: { count: out.size, ...strides },
      variant: { aliases: { Element: wgslType(dtype) }, constants: { OP: comparisonCodes[op] } },
      threads: out.size,
    });
    recordOp(op, [a, b], out, null);
    return out;
  } finally {
    releaseTemporary(left, a);
    releaseTemporary(right, b);
  }
}

export const equal = (a: TensorLike, b: TensorLike): Tensor => compare('equal', a, b);
export const notEqual = (a: TensorLike, b: TensorLike): Tensor => compare('notEqual', a, b);
export const greater = (a: TensorLike, b: TensorLike): Tensor => compare('greater', a, b);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => compare('greaterEqual', a, b);
export const less = (a: TensorLike, b: TensorLike): Tensor => compare('less', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => compare('lessEqual', a, b);

/**
 * Elementwise `condition != 0 ? a : b`, broadcasting all three together. The result is int32 when a
 * and b both are. Gradients flow to a and b where each was selected; none flows to the condition.
 */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const shapes = [operandShape('where', condition), operandShape('where', a), operandShape('where', b)];
  let outShape: number[];
  try {
    outShape = broadcastShapes('where', broadcastShapes('where', shapes[0], shapes[1]), shapes[2]);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new ShapeError(`where: shapes ${shapes.map(formatShape).join(', ')} (condition, a, b) cannot be broadcast together`);
  }
  const strides = broadcastUniforms('where', outShape, { stridesCondition: shapes[0], stridesA: shapes[1], stridesB: shapes[2] });
  const dtype = resultDtype(a, b);
  const c = asTensor('where', condition, 'float32');
  const x = toDtype('where', a, dtype);
  const y = toDtype('where', b, dtype);
  try {
    const out = Tensor.empty(outShape, dtype);
    launch(whereKernel, {
      buffers: { condition: c.buffer, a: x.buffer, b: y.buffer, out: out.buffer },
      uniforms: { count: out.size, ...strides },
      variant: { aliases: { Element: wgslType(dtype) }, constants: { CONDITION_IS_FLOAT: c.dtype === 'float32' ? 1 : 0 } },
      threads: out.size,
    });
    recordOp('where', [c, x, y], out, (dy, needed) => [
      null,
      needed[1] ? unbroadcast(where(c, dy, 0), x.shape) : null,
      needed[2] ? unbroadcast(where(c, 0, dy), y.shape) : null,
    ]);
    return out;
  } finally {
    releaseTemporary(condition, c);
    releaseTemporary(a, x);
    releaseTemporary(b, y);
  }
}

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
