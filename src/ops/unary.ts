// Elementwise float32 math, each op declared as data: its WGSL body, and its derivative both as a
// fused WGSL body (the fast path) and with differentiable ops (used for higher derivatives).
import type { Tensor } from '../tensor';
import { div, mul, sub } from './binary';
import { zerosLike } from './creation';
import { defineElementwise, type ElementwiseOp } from './elementwise';
import stableMathSource from '../../shaders/stableMath.wgsl';

/** d(out)/d(x)·dy as WGSL (reading x, out, dy) and as ops (given x, the output y and dy). */
interface UnaryDeclaration {
  body: string;
  gradient: string;
  composed: (x: Tensor, y: Tensor, dy: Tensor) => Tensor;
  /** The derivative does not depend on x, so a NaN x still gets it (neg: −dy, sign: 0). */
  constantDerivative?: true;
  /** The body over an i32 x, for an op that takes int32 tensors (int32 results have no gradient). */
  int32?: string;
  /** The output's dtype when not x's: sign gives float32 for int32 x too. */
  output?: 'float32';
}

// Every forward body is wrapped in a NaN guard (NaN in, NaN out; see `ops` below), so each row only
// spells out its infinities and domain edges, by IEEE-754 as JavaScript's Math does. WGSL leaves
// its built-ins undefined there (SwiftShader's log(−1) is 0), so no row relies on them at an edge.
// Gradient bodies get the same guard unless the derivative is constant: a NaN x gives a NaN
// gradient (TF.js's rule, e.g. relu through step(NaN) = NaN), and the composed forms agree because
// the ops they call propagate NaN.
const unaryOps = {
  neg: { body: 'return -x;', int32: 'return -x;', gradient: 'return -dy;', composed: (_x, _y, dy) => mul(dy, -1), constantDerivative: true },
  abs: { body: 'return withSignOf(x, 1.0);', int32: 'return abs(x);', gradient: 'return dy * sign(x);', composed: (x, _y, dy) => mul(dy, sign(x)) },
  exp: { body: 'return ieeeExp(x);', gradient: 'return dy * out;', composed: (_x, y, dy) => mul(dy, y) },
  log: { body: 'return ieeeLog(x);', gradient: 'return dy / x;', composed: (x, _y, dy) => div(dy, x) },
  // sqrt(−0) = −0; negatives are NaN.
  sqrt: {
    body: 'return select(select(sqrt(x), x, x == 0.0 || isInf(x)), nanFrom(x), x < 0.0);',
    gradient: 'return dy / (2.0 * out);', composed: (_x, y, dy) => div(dy, mul(y, 2)),
  },
  // 1/sqrt(x): ±0 give ±Inf, +Inf gives 0, negatives NaN.
  rsqrt: {
    body: 'return select(select(select(inverseSqrt(x), 0.0, isInf(x)), infWithSignOf(x), x == 0.0), nanFrom(x), x < 0.0);',
    gradient: 'return -0.5 * dy * out * out * out;', composed: (_x, y, dy) => mul(dy, mul(mul(y, mul(y, y)), -0.5)),
  },
  square: { body: 'return x * x;', int32: 'return x * x;', gradient: 'return 2.0 * x * dy;', composed: (x, _y, dy) => mul(dy, mul(x, 2)) },
  sin: { body: 'return select(sin(x), nanFrom(x), isInf(x));', gradient: 'return dy * cos(x);', composed: (x, _y, dy) => mul(dy, cos(x)) },
  cos: { body: 'return select(cos(x), nanFrom(x), isInf(x));', gradient: 'return -dy * sin(x);', composed: (x, _y, dy) => mul(dy, neg(sin(x))) },
  // relu(−0) = +0, as max(x, 0). Its gradient is dy·step(x), 0 at x ≤ 0 (TF.js, PyTorch); the
  // composed form takes step(x) as sign(out), which is NaN where x is.
  relu: { body: 'return select(x, 0.0, x <= 0.0);', gradient: 'return select(0.0, dy, x > 0.0);', composed: (_x, y, dy) => mul(dy, sign(y)) },
  sigmoid: { body: 'return stableSigmoid(x);', gradient: 'return dy * out * (1.0 - out);', composed: (_x, y, dy) => mul(dy, mul(y, sub(1, y))) },
  tanh: { body: 'return stableTanh(x);', gradient: 'return dy * (1.0 - out * out);', composed: (_x, y, dy) => mul(dy, sub(1, mul(y, y))) },
  // softplus = log(1 + e^x), stable for large |x|; its derivative is sigmoid(x). softplus(±Inf) = +Inf / 0.
  softplus: {
    body: 'return select(select(x, 0.0, x < 0.0) + log(1.0 + exp(-abs(x))), select(0.0, x, x > 0.0), isInf(x));',
    gradient: 'return dy * stableSigmoid(x);', composed: (x, _y, dy) => mul(dy, sigmoid(x)),
  },
  reciprocal: { body: 'return 1.0 / x;', gradient: 'return -dy * out * out;', composed: (_x, y, dy) => mul(dy, neg(mul(y, y))) },
  // sign(±0) = ±0, as Math.sign; its gradient is zero everywhere (as TF.js and PyTorch), even at NaN.
  // int32 x gives float32 signs.
  sign: {
    body: 'return select(select(-1.0, 1.0, x > 0.0), x, x == 0.0);', int32: 'return select(select(-1.0, 1.0, x > 0), 0.0, x == 0);', output: 'float32', gradient: 'return 0.0;', composed: (x) => zerosLike(x), constantDerivative: true },
} satisfies Record<string, UnaryDeclaration>;

export type UnaryOpName = keyof typeof unaryOps;

/** Each declaration as an op (kernels are compiled on first use). */
const ops = Object.fromEntries(Object.entries(unaryOps).map(([name, op]) => [name, defineElementwise({
  name,
  inputs: ['x'],
  // The guard is a select around the row's own function: no branch in the hot elementwise loop.
  body: `return select(${name}Value(x), x, isNan(x));`,
  prelude: `${stableMathSource}
fn ${name}Value(x: f32) -> f32 {
  ${op.body}
}
fn ${name}Gradient(x: f32, out: f32, dy: f32) -> f32 {
  ${op.gradient}
}
`,
  int32: 'int32' in op ? op.int32 : undefined,
  output: 'output' in op ? op.output : undefined,
  gradients: [{
    body: 'constantDerivative' in op ? op.gradient : `return select(${name}Gradient(x, out, dy), x, isNan(x));`,
    composed: ([x], y, dy) => op.composed(x, y, dy),
  }],
})])) as Record<UnaryOpName, ElementwiseOp>;

/** dy·f'(x) for unary op f, given its input x and output y: the rule the op itself records. */
export function unaryGradient(op: UnaryOpName, x: Tensor, y: Tensor, dy: Tensor): Tensor {
  return ops[op].gradient(0, [x], y, dy);
}

/** Negation; int32 tensors stay int32. */
export const neg = (x: Tensor | number): Tensor => ops.neg(x);
/** Absolute value; int32 tensors stay int32 (abs of the int32 minimum is itself, as two's complement wraps). */
export const abs = (x: Tensor | number): Tensor => ops.abs(x);
/** x²; int32 tensors stay int32. */
export const square = (x: Tensor | number): Tensor => ops.square(x);
export const exp = (x: Tensor | number): Tensor => ops.exp(x);
export const log = (x: Tensor | number): Tensor => ops.log(x);
export const sqrt = (x: Tensor | number): Tensor => ops.sqrt(x);
export const rsqrt = (x: Tensor | number): Tensor => ops.rsqrt(x);
export const sin = (x: Tensor | number): Tensor => ops.sin(x);
export const cos = (x: Tensor | number): Tensor => ops.cos(x);
export const relu = (x: Tensor | number): Tensor => ops.relu(x);
export const sigmoid = (x: Tensor | number): Tensor => ops.sigmoid(x);
export const tanh = (x: Tensor | number): Tensor => ops.tanh(x);
export const softplus = (x: Tensor | number): Tensor => ops.softplus(x);
export const reciprocal = (x: Tensor | number): Tensor => ops.reciprocal(x);
/** -1, 0 or 1 by the sign of x, as float32 (int32 input too); its gradient is zero. */
export const sign = (x: Tensor | number): Tensor => ops.sign(x);
