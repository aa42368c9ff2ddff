// Dropout: zeroes each element with probability `rate` and scales the kept ones by 1/(1 − rate), so the
// expected value is unchanged. One uniform draw from the seeded generator, then one fused kernel.
import { ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { div, mul, sub } from './binary';
import { greaterEqual } from './compare';
import { defineElementwise } from './elementwise';
import { assertFloat } from './operand';
import { rand, randWithSeed } from './random';

/** x/(1 − rate) where the uniform draw u ≥ rate (probability 1 − rate), else 0. */
const applyDropout = defineElementwise({
  name: 'dropout',
  inputs: ['x', 'u', 'rate'],
  body: 'return select(0.0, x / (1.0 - rate), u >= rate);',
  gradients: [
    { body: 'return select(0.0, dy / (1.0 - rate), u >= rate);', composed: ([, u, rate], _out, dy) => div(mul(dy, greaterEqual(u, rate)), sub(1, rate)) },
    null,
    null,
  ],
});

export interface DropoutOptions {
  /**
   * A fixed seed: the mask depends only on (seed, shape), the same every call, and the global
   * generator is left alone. Without it the mask comes from the global generator (wg.setSeed
   * makes a sequence of calls reproducible).
   */
  seed?: number;
}

/** Inverted dropout, always applied (layers skip it outside training). rate in [0, 1). */
export function dropout(x: Tensor, rate: number, options: DropoutOptions = {}): Tensor {
  x.assertAlive('dropout');
  assertFloat('dropout', x);
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) throw new ValueError(`dropout: rate must be in [0, 1), got ${rate}`);
  const u = options.seed === undefined ? rand(x.shape) : randWithSeed(x.shape, options.seed);
  try {
    return applyDropout(x, u, rate);
  } finally {
    u.dispose();
  }
}
