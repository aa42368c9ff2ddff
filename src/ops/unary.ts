// Elementwise float32 math, one kernel for the family; each op's derivative sits beside its code.
import unarySource from '../../shaders/unary.wgsl';
import { recordOp } from '../autograd/recorder';
import { tidy } from '../memory';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor } from '../tensor';
import { add, div, maximum, mul, sub } from './binary';
import { greater } from './compare';
import { assertFloat, asTensor, releaseTemporary } from './operand';

const unaryKernel = defineKernel('unary', unarySource);

/** d(output)/d(input) as tensors, given the input x, the output y and the output gradient dy. */
type Derivative = (x: Tensor, y: Tensor, dy: Tensor) => Tensor;

const GELU_C = Math.sqrt(2 / Math.PI);

/** Each op: its code in shaders/unary.wgsl and its backward rule, written with differentiable ops. */
const unaryOps = {
  neg: { code: 0, backward: (_x, _y, dy) => mul(dy, -1) },
  abs: { code: 1, backward: (x, _y, dy) => mul(dy, sign(x)) },
  exp: { code: 2, backward: (_x, y, dy) => mul(dy, y) },
  log: { code: 3, backward: (x, _y, dy) => div(dy, x) },
  sqrt: { code: 4, backward: (_x, y, dy) => div(dy, mul(y, 2)) },
  rsqrt: { code: 5, backward: (_x, y, dy) => mul(dy, mul(mul(y, mul(y, y)), -0.5)) },
  square: { code: 6, backward: (x, _y, dy) => mul(dy, mul(x, 2)) },
  sin: { code: 7, backward: (x, _y, dy) => mul(dy, cos(x)) },
  cos: { code: 8, backward: (x, _y, dy) => mul(dy, neg(sin(x))) },
  relu: { code: 9, backward: (x, _y, dy) => mul(dy, greater(x, 0)) },
  sigmoid: { code: 10, backward: (_x, y, dy) => mul(dy, mul(y, sub(1, y))) },
  tanh: { code: 11, backward: (_x, y, dy) => mul(dy, sub(1, mul(y, y))) },
  gelu: { code: 12, backward: (x, _y, dy) => mul(dy, geluDerivative(x)) },
  softplus: { code: 13, backward: (x, _y, dy) => mul(dy, sigmoid(x)) },
  reciprocal: { code: 14, backward: (_x, y, dy) => mul(dy, neg(mul(y, y))) },
  sign: { code: 15, backward: (x) => mul(x, 0) },
} satisfies Record<string, { code: number; backward: Derivative }>;

export type UnaryOpName = keyof typeof unaryOps;

/** gelu'(x) for the tanh approximation: 0.5(1+t) + 0.5·x·(1−t²)·c·(1 + 3·0.044715·x²), t = tanh(u). */
function geluDerivative(x: Tensor): Tensor {
  const x2 = mul(x, x);
  const t = tanh(mul(add(x, mul(mul(x2, x), 0.044715)), GELU_C));
  const inner = mul(add(mul(x2, 3 * 0.044715), 1), GELU_C);
  return add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, mul(t, t))), inner));
}

function unary(op: UnaryOpName, input: Tensor | number): Tensor {
  const x = asTensor(op, input);
  try {
    return unaryKernelCall(op, x);
  } finally {
    releaseTemporary(input, x);
  }
}

function unaryKernelCall(op: UnaryOpName, x: Tensor): Tensor {
  assertFloat(op, x);
  const y = Tensor.empty(x.shape, 'float32');
  launch(unaryKernel, {
    buffers: { x: x.buffer, out: y.buffer },
    uniforms: { count: x.size },
    variant: { constants: { OP: unaryOps[op].code } },
    threads: x.size,
  });
  recordOp(op, [x], y, (dy) => [unaryOps[op].backward(x, y, dy)]);
  return y;
}

/** Negation; int32 tensors stay int32. */
export function neg(x: Tensor | number): Tensor {
  return x instanceof Tensor && x.dtype === 'int32' ? mul(x, -1) : unary('neg', x);
}
/** Absolute value; int32 tensors stay int32. */
export function abs(x: Tensor | number): Tensor {
  return x instanceof Tensor && x.dtype === 'int32' ? tidy(() => maximum(x, mul(x, -1))) : unary('abs', x);
}
/** x²; int32 tensors stay int32. */
export function square(x: Tensor | number): Tensor {
  return x instanceof Tensor && x.dtype === 'int32' ? mul(x, x) : unary('square', x);
}
export const exp = (x: Tensor | number): Tensor => unary('exp', x);
export const log = (x: Tensor | number): Tensor => unary('log', x);
export const sqrt = (x: Tensor | number): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor | number): Tensor => unary('rsqrt', x);
export const sin = (x: Tensor | number): Tensor => unary('sin', x);
export const cos = (x: Tensor | number): Tensor => unary('cos', x);
export const relu = (x: Tensor | number): Tensor => unary('relu', x);
export const sigmoid = (x: Tensor | number): Tensor => unary('sigmoid', x);
export const tanh = (x: Tensor | number): Tensor => unary('tanh', x);
/** GELU, tanh approximation (PyTorch approximate='tanh', Keras/TF.js default). */
export const gelu = (x: Tensor | number): Tensor => unary('gelu', x);
export const softplus = (x: Tensor | number): Tensor => unary('softplus', x);
export const reciprocal = (x: Tensor | number): Tensor => unary('reciprocal', x);
/** -1, 0 or 1 by the sign of x, as float32 (int32 input too); its gradient is zero. */
export function sign(x: Tensor | number): Tensor {
  if (x instanceof Tensor && x.dtype === 'int32') return tidy(() => sub(greater(x, 0), greater(0, x)));
  return unary('sign', x);
}
