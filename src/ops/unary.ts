// Elementwise one-input math, each op one row of the op table (src/ops/elementwise.ts): its WGSL
// body, and its derivative both as a fused WGSL body (the fast path) and with differentiable ops
// (used for higher derivatives).
//
// Every row propagates NaN (NaN in, NaN out), so each spells out only its infinities and domain
// edges, by IEEE-754 as JavaScript's Math does. WGSL leaves its built-ins undefined there
// (SwiftShader's log(−1) is 0), so no row relies on them at an edge. Gradients are NaN at a NaN x
// unless constant (TF.js's rule, e.g. relu through step(NaN) = NaN), and the composed forms agree
// because the ops they call propagate NaN.
import stableMathSource from '../../shaders/stableMath.wgsl';
import type { Tensor } from '../tensor';
import { add, div, mul, sub } from './binary';
import { zerosLike } from './creation';
import { defineElementwise, elementwiseTable, type MethodOp } from './elementwise';

/** Negation; int32 tensors stay int32. */
export const neg: MethodOp<1> = defineElementwise({
  name: 'neg', inputs: ['x'], dtypes: { x: 'numeric' }, propagatesNaN: true, method: true,
  body: 'return -x;', int32: 'return -x;',
  gradients: [{ body: 'return -dy;', composed: (_x, _y, dy) => mul(dy, -1), constant: true }],
});

/** Absolute value; int32 tensors stay int32 (abs of the int32 minimum is itself, as two's complement wraps). */
export const abs: MethodOp<1> = defineElementwise({
  name: 'abs', inputs: ['x'], dtypes: { x: 'numeric' }, propagatesNaN: true, method: true,
  body: 'return withSignOf(x, 1.0);', int32: 'return abs(x);',
  gradients: [{ body: 'return dy * sign(x);', composed: ([x], _y, dy) => mul(dy, sign(x)) }],
});

/** x²; int32 tensors stay int32. */
export const square: MethodOp<1> = defineElementwise({
  name: 'square', inputs: ['x'], dtypes: { x: 'numeric' }, propagatesNaN: true, method: true,
  body: 'return x * x;', int32: 'return x * x;',
  gradients: [{ body: 'return 2.0 * x * dy;', composed: ([x], _y, dy) => mul(dy, mul(x, 2)) }],
});

export const exp: MethodOp<1> = defineElementwise({
  name: 'exp', inputs: ['x'], propagatesNaN: true, method: true,
  body: 'return ieeeExp(x);',
  gradients: [{ body: 'return dy * out;', composed: (_x, y, dy) => mul(dy, y), fromOutput: true }],
});

export const log: MethodOp<1> = defineElementwise({
  name: 'log', inputs: ['x'], propagatesNaN: true, method: true,
  body: 'return ieeeLog(x);',
  gradients: [{ body: 'return dy / x;', composed: ([x], _y, dy) => div(dy, x) }],
});

/**
 * log(1 + x), accurate where x is tiny (log(1 + x) would round 1 + x first), as TF.js's log1p.
 * Near 0 it is 2·atanh(s), s = x/(2 + x), summed as its odd series: for 1 + x in (0.5, 2.5),
 * |s| < 3/7 and ten terms reach float32's precision; elsewhere ieeeLog(1 + x) loses nothing (WGSL's
 * log is within 3 ulp there). log1p(−1) = −Inf, below −1 NaN, log1p(−0) = −0.
 */
export const log1p: MethodOp<1> = defineElementwise({
  name: 'log1p', inputs: ['x'], propagatesNaN: true, method: true,
  body: `let s = x / (2.0 + x);
  let s2 = s * s;
  var series = 1.0 / 19.0;
  for (var k = 17.0; k >= 1.0; k -= 2.0) { series = series * s2 + 1.0 / k; }
  return select(ieeeLog(1.0 + x), 2.0 * s * series, x > -0.5 && x < 1.5);`,
  gradients: [{ body: 'return dy / (1.0 + x);', composed: ([x], _y, dy) => div(dy, add(x, 1)) }],
});

/** √x: sqrt(−0) = −0; negatives are NaN. */
export const sqrt: MethodOp<1> = defineElementwise({
  name: 'sqrt', inputs: ['x'], propagatesNaN: true, method: true,
  body: 'return select(select(sqrt(x), x, x == 0.0 || isInf(x)), nanFrom(x), x < 0.0);',
  gradients: [{ body: 'return dy / (2.0 * out);', composed: (_x, y, dy) => div(dy, mul(y, 2)), fromOutput: true }],
});

/** 1/√x: ±0 give ±Inf, +Inf gives 0, negatives NaN. */
export const rsqrt: MethodOp<1> = defineElementwise({
  name: 'rsqrt', inputs: ['x'], propagatesNaN: true, method: true,
  body: 'return select(select(select(inverseSqrt(x), 0.0, isInf(x)), infWithSignOf(x), x == 0.0), nanFrom(x), x < 0.0);',
  gradients: [{ body: 'return -0.5 * dy * out * out * out;', composed: (_x, y, dy) => mul(dy, mul(mul(y, mul(y, y)), -0.5)), fromOutput: true }],
});

export const sin: MethodOp<1> = defineElementwise({
  name: 'sin', inputs: ['x'], propagatesNaN: true, method: true,
  body: 'return select(sin(x), nanFrom(x), isInf(x));',
  gradients: [{ body: 'return dy * cos(x);', composed: ([x], _y, dy) => mul(dy, cos(x)) }],
});

export const cos: MethodOp<1> = defineElementwise({
  name: 'cos', inputs: ['x'], propagatesNaN: true, method: true,
  body: 'return select(cos(x), nanFrom(x), isInf(x));',
  gradients: [{ body: 'return -dy * sin(x);', composed: ([x], _y, dy) => mul(dy, neg(sin(x))) }],
});

/**
 * max(x, 0), with relu(−0) = +0. Its gradient is dy·step(x), 0 at x ≤ 0 (TF.js, PyTorch), read
 * from the output (out > 0 exactly where x > 0); the composed form takes step(x) as sign(out),
 * which is NaN where x is.
 */
export const relu: MethodOp<1> = defineElementwise({
  name: 'relu', inputs: ['x'], propagatesNaN: true, method: true,
  body: 'return select(x, 0.0, x <= 0.0);',
  gradients: [{ body: 'return select(0.0, dy, out > 0.0);', composed: (_x, y, dy) => mul(dy, sign(y)), fromOutput: true }],
});

export const sigmoid: MethodOp<1> = defineElementwise({
  name: 'sigmoid', inputs: ['x'], propagatesNaN: true, method: true, prelude: stableMathSource,
  body: 'return stableSigmoid(x);',
  gradients: [{ body: 'return dy * out * (1.0 - out);', composed: (_x, y, dy) => mul(dy, mul(y, sub(1, y))), fromOutput: true }],
});

export const tanh: MethodOp<1> = defineElementwise({
  name: 'tanh', inputs: ['x'], propagatesNaN: true, method: true, prelude: stableMathSource,
  body: 'return stableTanh(x);',
  gradients: [{ body: 'return dy * (1.0 - out * out);', composed: (_x, y, dy) => mul(dy, sub(1, mul(y, y))), fromOutput: true }],
});

/** log(1 + e^x), stable for large |x|; its derivative is sigmoid(x). softplus(±Inf) = +Inf / 0. */
export const softplus: MethodOp<1> = defineElementwise({
  name: 'softplus', inputs: ['x'], propagatesNaN: true, method: true, prelude: stableMathSource,
  body: 'return select(select(x, 0.0, x < 0.0) + log(1.0 + exp(-abs(x))), select(0.0, x, x > 0.0), isInf(x));',
  gradients: [{ body: 'return dy * stableSigmoid(x);', composed: ([x], _y, dy) => mul(dy, sigmoid(x)) }],
});

export const reciprocal: MethodOp<1> = defineElementwise({
  name: 'reciprocal', inputs: ['x'], propagatesNaN: true, method: true,
  body: 'return 1.0 / x;',
  gradients: [{ body: 'return -dy * out * out;', composed: (_x, y, dy) => mul(dy, neg(mul(y, y))), fromOutput: true }],
});

/**
 * −1, 0 or 1 by the sign of x, as float32 (int32 input too), with sign(±0) = ±0 as Math.sign. Its
 * gradient is zero everywhere (as TF.js and PyTorch), even at NaN.
 */
export const sign: MethodOp<1> = defineElementwise({
  name: 'sign', inputs: ['x'], dtypes: { x: 'numeric' }, output: 'float32', propagatesNaN: true, method: true,
  body: 'return select(select(-1.0, 1.0, x > 0.0), x, x == 0.0);', int32: 'return select(select(-1.0, 1.0, x > 0), 0.0, x == 0);',
  gradients: [{ body: 'return 0.0;', composed: ([x]) => zerosLike(x), constant: true }],
});

/** dy·f'(x) for the one-input op named `op`, given its input x and output y: the rule the op itself records. */
export function unaryGradient(op: string, x: Tensor, y: Tensor, dy: Tensor): Tensor {
  const row = elementwiseTable().get(op);
  if (!row || row.declaration.inputs.length !== 1) throw new Error(`unaryGradient: '${op}' is not a one-input op`);
  return row.gradient(0, [x], y, dy);
}
