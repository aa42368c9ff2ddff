// Comparisons (float32 0/1 results) and where, with NumPy broadcasting.
import broadcastIndexSource from '../../shaders/broadcastIndex.wgsl';
import compareSource from '../../shaders/compare.wgsl';
import whereSource from '../../shaders/where.wgsl';
import ieeeSource from '../../shaders/ieee.wgsl';
import { recordOp } from '../autograd/recorder';
import { ShapeError, formatShape } from '../errors';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { broadcastShapes, type Shape } from '../shape';
import { Tensor, type DType } from '../tensor';
import { toDtype } from './cast';
import { broadcastUniforms } from './broadcast';
import { asTensor, releaseTemporary, resultDtype, wgslType, type TensorLike } from './operand';

const compareKernel = defineKernel('compare', ieeeSource + broadcastIndexSource + compareSource);
const whereKernel = defineKernel('where', broadcastIndexSource + whereSource);

/** Each comparison's code in shaders/compare.wgsl. */
const comparisonCodes = { equal: 0, notEqual: 1, greater: 2, greaterEqual: 3, less: 4, lessEqual: 5 } as const;
type ComparisonName = keyof typeof comparisonCodes;

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
      needed[1] ? where(c, dy, 0) : null,
      needed[2] ? where(c, 0, dy) : null,
    ]);
    return out;
  } finally {
    releaseTemporary(condition, c);
    releaseTemporary(a, x);
    releaseTemporary(b, y);
  }
}
