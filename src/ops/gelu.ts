// GELU in both forms Keras offers: exact x·Φ(x) (activation 'gelu', the default) and the tanh
// approximation (approximate=True), each a row of the op table with its fused derivative.
import geluSource from '../../shaders/gelu.wgsl';
import stableMathSource from '../../shaders/stableMath.wgsl';
import type { Tensor } from '../tensor';
import { add, mul, sub } from './binary';
import { defineElementwise, type ElementwiseOp } from './elementwise';
import type { TensorLike } from './operand';
import { exp, tanh } from './unary';

const prelude = stableMathSource + geluSource;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_C = Math.sqrt(2 / Math.PI);

/** φ(x) = e^(−x²/2)/√(2π), with ops (the composed derivatives below need it differentiable). */
const normalPdf = (x: Tensor): Tensor => mul(exp(mul(mul(x, x), -0.5)), INV_SQRT_2PI);

/** Φ(x), the standard normal CDF; gelu's exact derivative composes it. */
const normalCdf: ElementwiseOp = defineElementwise({
  name: 'normalCdf',
  inputs: ['x'],
  body: 'return normalCdf(x);',
  prelude,
  gradients: [{ body: 'return dy * normalPdf(x);', composed: ([x], _y, dy) => mul(dy, normalPdf(x)) }],
});

const geluExact: ElementwiseOp = defineElementwise({
  name: 'gelu',
  inputs: ['x'],
  body: 'return geluExact(x);',
  prelude,
  gradients: [{
    body: 'return dy * geluExactDerivative(x);',
    composed: ([x], _y, dy) => mul(dy, add(normalCdf(x), mul(x, normalPdf(x)))),
  }],
});

/** gelu'(x) for the tanh form: 0.5(1+t) + 0.5·x·(1−t²)·c·(1 + 3·0.044715·x²), t = tanh(c(x + 0.044715x³)). */
function geluTanhDerivative(x: Tensor): Tensor {
  const x2 = mul(x, x);
  const t = tanh(mul(add(x, mul(mul(x2, x), 0.044715)), GELU_C));
  const inner = mul(add(mul(x2, 3 * 0.044715), 1), GELU_C);
  return add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, mul(t, t))), inner));
}

const geluTanh: ElementwiseOp = defineElementwise({
  name: 'geluTanh',
  inputs: ['x'],
  body: 'return geluTanh(x);',
  prelude,
  gradients: [{ body: 'return dy * geluTanhDerivative(x);', composed: ([x], _y, dy) => mul(dy, geluTanhDerivative(x)) }],
});

export interface GeluOptions {
  /**
   * false (default): the exact x·Φ(x) = ½x(1 + erf(x/√2)), as Keras's `gelu` and PyTorch's
   * approximate='none'. true: ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as Keras's approximate=True
   * and PyTorch's approximate='tanh' (at most 4.8e-4 from the exact form, at x ≈ ±2.7).
   */
  approximate?: boolean;
}

/** GELU, exact by default (Keras 3's `activation='gelu'`); `{ approximate: true }` for the tanh form. */
export function gelu(x: TensorLike, { approximate = false }: GeluOptions = {}): Tensor {
  return approximate ? geluTanh(x) : geluExact(x);
}
