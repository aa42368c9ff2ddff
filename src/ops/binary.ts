// Elementwise arithmetic with NumPy broadcasting; gradients are summed back to each input's shape.
// float32 runs on declared elementwise ops (vec4 kernels for contiguous operands and numbers);
// int32 (add, sub, mul, maximum, minimum) on shaders/binary.wgsl.
import broadcastIndexSource from '../../shaders/broadcastIndex.wgsl';
import binarySource from '../../shaders/binary.wgsl';
import { recordOp } from '../autograd/recorder';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor, type DType } from '../tensor';
import { broadcastShapes } from '../shape';
import { broadcastUniforms } from './broadcast';
import { greater, greaterEqual, less, lessEqual } from './compare';
import { defineElementwise, type ElementwiseGradient } from './elementwise';
import { releaseTemporary, resultDtype, wgslType, type TensorLike } from './operand';
import { toDtype } from './cast';

const binaryKernel = defineKernel('binary', broadcastIndexSource + binarySource);

/** The gradient for one input given a, b, the output and its gradient, before unbroadcasting. */
export type PartialDerivative = (a: Tensor, b: Tensor, out: Tensor, dy: Tensor) => Tensor;

export interface BinaryDeclaration {
  /** The op's code in shaders/binary.wgsl (int32), or null for a float-only op. */
  code: number | null;
  /** One float32 output element from a and b (WGSL). */
  body: string;
  /** Each input's gradient as ops; a fused WGSL body (reading a, b, out, dy) where one saves work. */
  gradA: PartialDerivative;
  gradB: PartialDerivative;
  fusedA?: string;
  fusedB?: string;
  /** WGSL functions the bodies call. */
  prelude?: string;
}

const binaryOps = {
  add: { code: 0, body: 'return a + b;', gradA: (_a, _b, _o, dy) => dy, gradB: (_a, _b, _o, dy) => dy },
  sub: { code: 1, body: 'return a - b;', gradA: (_a, _b, _o, dy) => dy, gradB: (_a, _b, _o, dy) => mul(dy, -1) },
  mul: { code: 2, body: 'return a * b;', gradA: (_a, b, _o, dy) => mul(dy, b), gradB: (a, _b, _o, dy) => mul(dy, a) },
  div: {
    code: null, body: 'return a / b;',
    gradA: (_a, b, _o, dy) => div(dy, b), gradB: (_a, b, out, dy) => mul(dy, div(out, mul(b, -1))),
    fusedB: 'return -dy * out / b;',
  },
  // NaN wins (as Math.max and TF.js); equal values AND their bits (OR for minimum), so
  // maximum(−0, 0) = 0 and minimum(−0, 0) = −0. Gradients follow TF.js: a tie sends dy to a only,
  // so the two sum to dy; a NaN compares false both ways, so neither input gets any.
  maximum: {
    code: 5, body: `let ordered = select(select(b, a, a > b), bitcast<f32>(bitcast<u32>(a) & bitcast<u32>(b)), a == b);
  return select(ordered, select(b, a, isNan(a)), isNan(a) || isNan(b));`,
    gradA: (a, b, _o, dy) => mul(dy, greaterEqual(a, b)), gradB: (a, b, _o, dy) => mul(dy, less(a, b)),
    fusedA: 'return select(0.0, dy, a >= b);', fusedB: 'return select(0.0, dy, a < b);',
  },
  minimum: {
    code: 6, body: `let ordered = select(select(b, a, a < b), bitcast<f32>(bitcast<u32>(a) | bitcast<u32>(b)), a == b);
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
 * A declaration as an op `(a, b)`: float32 on a declared elementwise kernel (differentiable), int32
 * on shaders/binary.wgsl when the declaration has a code and both operands are int32.
 */
export function binaryOp(name: string, declaration: BinaryDeclaration): (left: TensorLike, right: TensorLike) => Tensor {
  const floatOp = defineElementwise({
    name,
    inputs: ['a', 'b'],
    body: declaration.body,
    prelude: declaration.prelude,
    gradients: [gradientOf(declaration.gradA, declaration.fusedA), gradientOf(declaration.gradB, declaration.fusedB)],
  });
  return (left, right) => {
    // Float-only ops (div, pow) compute in float32 even for int32 operands, as NumPy's true division does.
    const dtype: DType = declaration.code === null ? 'float32' : resultDtype(left, right);
    const a = toDtype(name, left, dtype);
    const b = toDtype(name, right, dtype);
    try {
      return dtype === 'float32' ? floatOp(a, b) : integerBinary(name, declaration.code as number, a, b);
    } finally {
      releaseTemporary(left, a);
      releaseTemporary(right, b);
    }
  };
}

/** int32 arithmetic (sums of int32 tensors have no gradient, so nothing is differentiated here). */
function integerBinary(op: string, code: number, a: Tensor, b: Tensor): Tensor {
  const outShape = broadcastShapes(op, a.shape, b.shape);
  const strides = broadcastUniforms(op, outShape, { stridesA: a.shape, stridesB: b.shape });
  const out = Tensor.empty(outShape, 'int32');
  launch(binaryKernel, {
    buffers: { a: a.buffer, b: b.buffer, out: out.buffer },
    uniforms: { count: out.size, ...strides },
    variant: { aliases: { Element: wgslType('int32') }, constants: { OP: code } },
    threads: out.size,
  });
  recordOp(op, [a, b], out, null);
  return out;
}

export const add = binaryOp('add', binaryOps.add);
export const sub = binaryOp('sub', binaryOps.sub);
export const mul = binaryOp('mul', binaryOps.mul);
/** True division: int32 operands give float32, as NumPy and PyTorch do. */
export const div = binaryOp('div', binaryOps.div);
export const maximum = binaryOp('maximum', binaryOps.maximum);
export const minimum = binaryOp('minimum', binaryOps.minimum);
