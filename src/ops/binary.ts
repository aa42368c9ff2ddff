// Elementwise arithmetic with NumPy broadcasting (the tape sums gradients back to each input's shape).
// Each op is a row run by the declared elementwise kernels (vec4 kernels for contiguous operands
// and numbers), in float32 or, for add, sub, mul, maximum and minimum, int32.
import type { Tensor, DType } from '../tensor';
import { greater, greaterEqual, less, lessEqual } from './compare';
import { defineElementwise, type ElementwiseGradient } from './elementwise';
import { releaseTemporary, resultDtype, type TensorLike } from './operand';
import { toDtype } from './cast';

/** The gradient for one input given a, b, the output and its gradient, at the output's shape (the tape sums it back). */
export type PartialDerivative = (a: Tensor, b: Tensor, out: Tensor, dy: Tensor) => Tensor;

export interface BinaryDeclaration {
  /** One float32 output element from a and b (WGSL). */
  body: string;
  /** The same over i32 a and b, for an op that keeps int32 operands int32 (omit: float32 only). */
  int32?: string;
  /** Each input's gradient as ops; a fused WGSL body (reading a, b, out, dy) where one saves work. */
  gradA: PartialDerivative;
  gradB: PartialDerivative;
  fusedA?: string;
  fusedB?: string;
  /** WGSL functions the bodies call. */
  prelude?: string;
}

const binaryOps = {
  add: { int32: 'return a + b;', body: 'return a + b;', gradA: (_a, _b, _o, dy) => dy, gradB: (_a, _b, _o, dy) => dy },
  sub: { int32: 'return a - b;', body: 'return a - b;', gradA: (_a, _b, _o, dy) => dy, gradB: (_a, _b, _o, dy) => mul(dy, -1) },
  mul: { int32: 'return a * b;', body: 'return a * b;', gradA: (_a, b, _o, dy) => mul(dy, b), gradB: (a, _b, _o, dy) => mul(dy, a) },
  div: {
    body: 'return a / b;',
    gradA: (_a, b, _o, dy) => div(dy, b), gradB: (_a, b, out, dy) => mul(dy, div(out, mul(b, -1))),
    fusedB: 'return -dy * out / b;',
  },
  // NaN wins (as Math.max and TF.js); equal values AND their bits (OR for minimum), so
  // maximum(−0, 0) = 0 and minimum(−0, 0) = −0. Gradients follow TF.js: a tie sends dy to a only,
  // so the two sum to dy; a NaN compares false both ways, so neither input gets any.
  maximum: {
    int32: 'return max(a, b);', body: `let ordered = select(select(b, a, a > b), bitcast<f32>(bitcast<u32>(a) & bitcast<u32>(b)), a == b);
  return select(ordered, select(b, a, isNan(a)), isNan(a) || isNan(b));`,
    gradA: (a, b, _o, dy) => mul(dy, greaterEqual(a, b)), gradB: (a, b, _o, dy) => mul(dy, less(a, b)),
    fusedA: 'return select(0.0, dy, a >= b);', fusedB: 'return select(0.0, dy, a < b);',
  },
  minimum: {
    int32: 'return min(a, b);', body: `let ordered = select(select(b, a, a < b), bitcast<f32>(bitcast<u32>(a) | bitcast<u32>(b)), a == b);
  return select(ordered, select(b, a, isNan(a)), isNan(a) || isNan(b));`,
    gradA: (a, b, _o, dy) => mul(dy, lessEqual(a, b)), gradB: (a, b, _o, dy) => mul(dy, greater(a, b)),
    fusedA: 'return select(0.0, dy, a <= b);', fusedB: 'return select(0.0, dy, a > b);',
  },
} satisfies Record<string, BinaryDeclaration>;


/** A rule as an elementwise gradient: fused when it has a body, else composed (one op or none). */
function gradientOf(rule: PartialDerivative, fused: string | undefined): ElementwiseGradient {
  return { body: fused, composed: ([a, b], out, dy) => rule(a, b, out, dy) };
}

/**
 * A declaration as an op `(a, b)`: int32 when it has an int32 body and both operands are int32
 * (not differentiable), else float32 (NumPy's true division: div and pow of int32 give float32).
 */
export function binaryOp(name: string, declaration: BinaryDeclaration): (left: TensorLike, right: TensorLike) => Tensor {
  const op = defineElementwise({
    name,
    inputs: ['a', 'b'],
    body: declaration.body,
    int32: declaration.int32,
    prelude: declaration.prelude,
    gradients: [gradientOf(declaration.gradA, declaration.fusedA), gradientOf(declaration.gradB, declaration.fusedB)],
  });
  return (left, right) => {
    const dtype: DType = declaration.int32 === undefined ? 'float32' : resultDtype(left, right);
    const a = toDtype(name, left, dtype);
    const b = toDtype(name, right, dtype);
    try {
      return op(a, b);
    } finally {
      releaseTemporary(left, a);
      releaseTemporary(right, b);
    }
  };
}

export const add = binaryOp('add', binaryOps.add);
export const sub = binaryOp('sub', binaryOps.sub);
export const mul = binaryOp('mul', binaryOps.mul);
/** True division: int32 operands give float32, as NumPy and PyTorch do. */
export const div = binaryOp('div', binaryOps.div);
export const maximum = binaryOp('maximum', binaryOps.maximum);
export const minimum = binaryOp('minimum', binaryOps.minimum);
