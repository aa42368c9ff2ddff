// Elementwise arithmetic with NumPy broadcasting; gradients are summed back to each input's shape.
// float32 runs on declared elementwise ops (vec4 kernels for contiguous operands and numbers);
// int32 (add, sub, mul, maximum, minimum) on shaders/binary.wgsl.
import broadcastIndexSource from '../../shaders/broadcastIndex.wgsl';
import binarySource from '../../shaders/binary.wgsl';
import signedPowSource from '../../shaders/signedPow.wgsl';
import { recordOp } from '../autograd/recorder';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor, type DType } from '../tensor';
import { broadcastShapes } from '../shape';
import { broadcastUniforms } from './broadcast';
import { greater, greaterEqual, less, lessEqual, where } from './compare';
import { defineElementwise, type ElementwiseGradient, type ElementwiseOp } from './elementwise';
import { log } from './unary';
import { asTensor, releaseTemporary, resultDtype, wgslType, type TensorLike } from './operand';
import { cast } from './cast';

const binaryKernel = defineKernel('binary', broadcastIndexSource + binarySource);

/** The gradient for one input given a, b, the output and its gradient, before unbroadcasting. */
type PartialDerivative = (a: Tensor, b: Tensor, out: Tensor, dy: Tensor) => Tensor;

interface BinaryDeclaration {
  /** The op's code in shaders/binary.wgsl (int32), or null for a float-only op. */
  code: number | null;
  /** One float32 output element from a and b (WGSL). */
  body: string;
  /** Each input's gradient as ops; a fused WGSL body (reading a, b, out, dy) where one saves work. */
  gradA: PartialDerivative;
  gradB: PartialDerivative;
  fusedA?: string;
  fusedB?: string;
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
  // d/da a^b = b·a^(b−1) (written as b·out/a would fail at a = 0); d/db = out·ln a.
  pow: {
    code: null, body: 'return signedPow(a, b);',
    // d/db takes ln a as 0 where a ≤ 0 (TF.js: there b is integral, and a^b not differentiable in b).
    gradA: (a, b, _o, dy) => mul(dy, mul(b, pow(a, sub(b, 1)))), gradB: (a, _b, out, dy) => mul(dy, mul(out, where(greater(a, 0), log(a), 0))),
    fusedA: 'return dy * b * signedPow(a, b - 1.0);', fusedB: 'return dy * out * select(0.0, ieeeLog(a), a > 0.0);',
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

export type BinaryOpName = keyof typeof binaryOps;

/** A rule as an elementwise gradient: fused when it has a body, else composed (one op or none). */
function gradientOf(rule: PartialDerivative, fused: string | undefined): ElementwiseGradient {
  return { body: fused, composed: ([a, b], out, dy) => rule(a, b, out, dy) };
}

const floatOps = Object.fromEntries(Object.entries(binaryOps).map(([name, op]: [string, BinaryDeclaration]) => [name, defineElementwise({
  name,
  inputs: ['a', 'b'],
  body: op.body,
  prelude: signedPowSource,
  gradients: [gradientOf(op.gradA, op.fusedA), gradientOf(op.gradB, op.fusedB)],
})])) as Record<BinaryOpName, ElementwiseOp>;

function binary(op: BinaryOpName, left: TensorLike, right: TensorLike): Tensor {
  // pow and div compute in float32 even for int32 operands, as NumPy's true division does.
  const declaration: BinaryDeclaration = binaryOps[op];
  const dtype: DType = declaration.code === null ? 'float32' : resultDtype(left, right);
  const a = toDtype(op, left, dtype);
  const b = toDtype(op, right, dtype);
  try {
    return dtype === 'float32' ? floatOps[op](a, b) : integerBinary(op, declaration.code as number, a, b);
  } finally {
    releaseTemporary(left, a);
    releaseTemporary(right, b);
  }
}

/** int32 arithmetic (sums of int32 tensors have no gradient, so nothing is differentiated here). */
function integerBinary(op: BinaryOpName, code: number, a: Tensor, b: Tensor): Tensor {
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

/** `value` as a tensor of `dtype`: numbers become scalars, other dtypes a cast copy (see releaseTemporary). */
export function toDtype(op: string, value: TensorLike, dtype: DType): Tensor {
  const tensor = asTensor(op, value, dtype);
  return tensor.dtype === dtype ? tensor : cast(tensor, dtype);
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
/** True division: int32 operands give float32, as NumPy and PyTorch do. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
/** a^b, float32, as JavaScript's Math.pow: negative bases take integral exponents, other exponents give NaN. */
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', a, b);
