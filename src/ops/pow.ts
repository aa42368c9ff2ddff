// a^b elementwise: a binary row declared apart from the others because its gradient takes ln a, and
// the unary ops (log among them) are built on the binary ones.
import signedPowSource from '../../shaders/signedPow.wgsl';
import type { Tensor } from '../tensor';
import { mul, sub } from './binary';
import { greater, where } from './compare';
import { defineElementwise, type MethodOp } from './elementwise';
import { log } from './unary';

/** a^b, float32, as JavaScript's Math.pow: negative bases take integral exponents, other exponents give NaN. */
export const pow: MethodOp<2> = defineElementwise({
  name: 'pow', inputs: ['a', 'b'], dtypes: { a: 'numeric', b: 'numeric' }, method: true, prelude: signedPowSource,
  body: 'return signedPow(a, b);',
  // d/da a^b = b·a^(b−1) (written as b·out/a would fail at a = 0); d/db = out·ln a, taking ln a as 0
  // where a ≤ 0 (TF.js: there b is integral, and a^b not differentiable in b).
  gradients: [
    { body: 'return dy * b * signedPow(a, b - 1.0);', composed: ([a, b], _out, dy) => mul(dy, mul(b, pow(a, sub(b, 1)))) },
    { body: 'return dy * out * select(0.0, ieeeLog(a), a > 0.0);', composed: ([a], out, dy) => mul(dy, mul(out, where(greater(a, 0), log(a), 0))) },
  ],
});
