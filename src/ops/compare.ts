// Comparisons (float32 0/1 results) and where, with NumPy broadcasting.
import broadcastIndexSource from '../../shaders/broadcastIndex.wgsl';
import whereSource from '../../shaders/where.wgsl';
import { recordOp } from '../autograd/recorder';
import { ShapeError, formatShape } from '../errors';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { broadcastShapes, type Shape } from '../shape';
import { Tensor, type DType } from '../tensor';
import { toDtype } from './cast';
import { defineElementwise, type ElementwiseOp } from './elementwise';
import { broadcastUniforms } from './broadcast';
import { asTensor, releaseTemporary, resultDtype, wgslType, type TensorLike } from './operand';

const whereKernel = defineKernel('where', broadcastIndexSource + whereSource);

/** The shape an operand will have (a number is a scalar), checking a tensor is still alive. */
function operandShape(op: string, value: TensorLike): Shape {
  if (value instanceof Tensor) {
    value.assertAlive(op);
    return value.shape;
  }
  return [];
}

/**
 * Each comparison as its WGSL expression over a and b, and what it gives when either is NaN: by
 * IEEE-754 a NaN is unequal to everything and unordered, so only notEqual holds. The NaN test is
 * on the bits (shaders/ieee.wgsl) since WGSL may fold float comparisons as if NaN never occurred;
 * int32 operands hold no NaN.
 */
const comparisons = {
  equal: { holds: 'a == b', whenNaN: false },
  notEqual: { holds: 'a != b', whenNaN: true },
  greater: { holds: 'a > b', whenNaN: false },
  greaterEqual: { holds: 'a >= b', whenNaN: false },
  less: { holds: 'a < b', whenNaN: false },
  lessEqual: { holds: 'a <= b', whenNaN: false },
} as const;
type ComparisonName = keyof typeof comparisons;

const comparisonOps = Object.fromEntries(Object.entries(comparisons).map(([name, { holds, whenNaN }]) => [name, defineElementwise({
  name,
  inputs: ['a', 'b'],
  body: `return select(0.0, 1.0, select(${holds}, ${whenNaN}, isNan(a) || isNan(b)));`,
  int32: `return select(0.0, 1.0, ${holds});`,
  output: 'float32',
})])) as Record<ComparisonName, ElementwiseOp>;

/**
 * a OP b elementwise as float32 1/0. Operands compute in int32 when both are int32, else in float32.
 * Not differentiable: the result is piecewise constant.
 */
function compare(op: ComparisonName, left: TensorLike, right: TensorLike): Tensor {
  const dtype = resultDtype(left, right);
  const a = toDtype(op, left, dtype);
  const b = toDtype(op, right, dtype);
  try {
    return comparisonOps[op](a, b);
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
