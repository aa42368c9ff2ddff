// The elementwise ops' test rows: one per op of the op table (src/ops/elementwise.ts), each a float64
// reference with its tolerance, domains and int32 form. From a row alone, elementwise.test.ts checks
// the forward pass on many shapes and the gradient against finite differences (and its int32 form),
// ieee.test.ts NaN, ±Inf, ±0 and domain edges, subgradients.test.ts the gradient at NaN, and
// tensor-like.test.ts TensorLike operands; op-table.test.ts fails for a row without a test row.
//
// Tolerances follow the WGSL spec's f32 accuracy (https://www.w3.org/TR/WGSL/#floating-point-accuracy):
// + − × are correctly rounded (½ ulp), x / y is 2.5 ulp, exp 3 + 2|x| ulp, log 3 ulp (absolute
// 2^-21 on [0.5, 2]), inverseSqrt 2 ulp, sqrt inherits 1 / inverseSqrt, pow inherits
// exp2(y·log2 x), sin/cos absolute 2^-11 on [-π, π]. 1 ulp of a float32 near v is at most 2^-23·|v|
// ≈ 1.19e-7·|v|. References run in float64 on exactly the float32 inputs the GPU saw; JavaScript's
// Math is IEEE-754 double, so it also gives each op's answer at NaN, ±Inf and ±0.
import { geluExact } from '../reference/erf';
import type { Rng } from '../reference';

export interface Tolerance { rtol: number; atol: number }
export const ULP = 2 ** -23;
export const EXACT: Tolerance = { rtol: 0, atol: 0 };

export const uniformIn = (lo: number, hi: number) => (rng: Rng): number => lo + (hi - lo) * rng();
/** Magnitude in [lo, hi] with a random sign: keeps inputs away from a kink or pole at 0. */
export const awayFromZero = (lo: number, hi: number) => (rng: Rng): number => (rng() < 0.5 ? -1 : 1) * (lo + (hi - lo) * rng());

/**
 * Edge inputs are compared by class (NaN, ±Inf, ±0 exactly) and finite results to rtol 1e-5 /
 * atol 1e-6: the finite accuracy of each op is checked on its domain with its own bound.
 */
export const FINITE: Tolerance = { rtol: 1e-5, atol: 1e-6 };

export interface ElementwiseCase {
  /** The float64 reference of one output element. */
  reference: (...inputs: number[]) => number;
  /** Its accuracy bound on `domains` (why: see each row). */
  tolerance: Tolerance;
  /** Each input's random values for the forward check. */
  domains: ((rng: Rng) => number)[];
  /** Where the float32 forward is smooth and well conditioned, for finite differences (default: domains). */
  gradientDomains?: ((rng: Rng) => number)[];
  /**
   * The backward rules chain 2–8 float32 ops of ≤ ~45 ulp each (≈ 1e-5 relative); central
   * differences with eps = 1e-6 in float64 are good to ~1e-9. The default rtol 1e-4 / atol 1e-5
   * leaves margin.
   */
  gradientTolerance?: Tolerance;
  /** The int32 form, checked exactly against the reference on integers: the dtype it gives. */
  int32?: 'int32' | 'float32';
  /** At the edges: the tolerance for finite results (default FINITE), and whether a zero's sign counts (default true). */
  edges?: { tolerance?: Tolerance; signOfZero?: boolean };
  /** A unary op's gradient at a NaN input (dy = 1): NaN (TF.js's rule) unless the derivative is constant. */
  gradientAtNaN?: number;
}

const stableSoftplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
// The spec bounds sin/cos only on [-π, π] (2^-11 absolute); the tests use that bound on |x| ≤ 10 too
// (SwiftShader's error is about 1.9e-4 ≈ 2^-12.4 throughout [-10, 10]), and the built-ins may drop
// a zero's sign. sin' = cos and cos' = −sin carry the same absolute error (weights are in [−1, 1]).
const TRIGONOMETRIC = { tolerance: { rtol: 0, atol: 2 ** -11 }, edges: { tolerance: { rtol: 0, atol: 2 ** -11 }, signOfZero: false }, gradientTolerance: { rtol: 1e-4, atol: 2 ** -11 } };
const SMOOTH_GRADIENT = [uniformIn(-3, 3)];

/** The one-input ops: wg[op](x). */
export const unaryCases: Record<string, ElementwiseCase> = {
  neg: { reference: (x) => -x, tolerance: EXACT, domains: [awayFromZero(0.05, 4)], int32: 'int32', gradientAtNaN: -1 },
  abs: { reference: Math.abs, tolerance: EXACT, domains: [awayFromZero(0.05, 4)], int32: 'int32' },
  // One correctly rounded product.
  square: { reference: (x) => x * x, tolerance: { rtol: 0.5 * ULP, atol: 0 }, domains: [uniformIn(-4, 4)], int32: 'int32' },
  // exp on |x| ≤ 10: 3 + 2·10 = 23 ulp.
  exp: { reference: Math.exp, tolerance: { rtol: 23 * ULP, atol: 0 }, domains: [uniformIn(-10, 10)], gradientDomains: SMOOTH_GRADIENT },
  // log: 2^-21 absolute on [0.5, 2], 3 ulp elsewhere.
  log: { reference: Math.log, tolerance: { rtol: 3 * ULP, atol: 2 ** -21 }, domains: [uniformIn(0.05, 10)] },
  // Near 0, s = x/(2 + x) (½ + 2.5 ulp) times a series whose terms add < 1 ulp; elsewhere the
  // rounding of 1 + x (½ ulp of a log ≥ 0.69 in size) and log's 3 ulp. 8 ulp leaves margin.
  log1p: { reference: Math.log1p, tolerance: { rtol: 8 * ULP, atol: 0 }, domains: [uniformIn(-0.9, 4)] },
  // 1 / inverseSqrt: 2 ulp, then 2.5 ulp for the division.
  sqrt: { reference: Math.sqrt, tolerance: { rtol: 4.5 * ULP, atol: 0 }, domains: [uniformIn(0.05, 10)] },
  rsqrt: { reference: (x) => 1 / Math.sqrt(x), tolerance: { rtol: 2 * ULP, atol: 0 }, domains: [uniformIn(0.05, 10)] },
  sin: { reference: Math.sin, domains: [uniformIn(-10, 10)], gradientDomains: SMOOTH_GRADIENT, ...TRIGONOMETRIC },
  cos: { reference: Math.cos, domains: [uniformIn(-10, 10)], gradientDomains: SMOOTH_GRADIENT, ...TRIGONOMETRIC },
  relu: { reference: (x) => Math.max(x, 0), tolerance: EXACT, domains: [awayFromZero(0.05, 4)] },
  // 1 / (1 + exp(−|x|)) (or e / (1 + e)): exp of |x| ≤ 10 (23 ulp), an add and a 2.5 ulp division.
  sigmoid: { reference: (x) => 1 / (1 + Math.exp(-x)), tolerance: { rtol: 27 * ULP, atol: 0 }, domains: [uniformIn(-10, 10)], gradientDomains: SMOOTH_GRADIENT },
  // (1 − e) / (1 + e) with e = exp(−2|x|): near 0, 1 − e loses relative precision, so a few ulp of
  // 1 absolute; elsewhere exp of |2x| ≤ 20 (43 ulp) plus the division.
  tanh: { reference: Math.tanh, tolerance: { rtol: 46 * ULP, atol: 4 * ULP }, domains: [uniformIn(-10, 10)], gradientDomains: SMOOTH_GRADIENT },
  // max(x, 0) + log(1 + exp(−|x|)): log's 2^-21 absolute on [1, 2] dominates.
  softplus: { reference: stableSoftplus, tolerance: { rtol: 4 * ULP, atol: 2 ** -21 + 2 * ULP }, domains: [uniformIn(-10, 10)], gradientDomains: SMOOTH_GRADIENT },
  reciprocal: { reference: (x) => 1 / x, tolerance: { rtol: 2.5 * ULP, atol: 0 }, domains: [awayFromZero(0.1, 10)] },
  sign: { reference: Math.sign, tolerance: EXACT, domains: [awayFromZero(0.05, 4)], int32: 'float32', gradientAtNaN: 0 },
  // Exact gelu x·Φ(x) (its tanh form and the bounds' derivation: gelu.test.ts): 4 ulp, plus exp's
  // 3 + x² ulp in the lower tail, x ≥ −5. At −∞ it is its limit 0, and far below 0 an underflowed
  // +0 where x·Φ(x) is −0 in float64.
  gelu: {
    reference: (x) => (x === -Infinity ? 0 : geluExact(x)), tolerance: { rtol: 32 * ULP, atol: 0 }, domains: [uniformIn(-5, 5)], edges: { signOfZero: false },
  },
};

/** The two-input ops: wg[op](a, b), with broadcasting and numbers on either side. */
export const binaryCases: Record<string, ElementwiseCase> = {
  // Arithmetic is one IEEE rounding; division is within 2.5 ulp.
  add: { reference: (a, b) => a + b, tolerance: { rtol: 0.5 * ULP, atol: 0 }, domains: [uniformIn(-3, 3), uniformIn(-3, 3)], int32: 'int32', edges: { tolerance: EXACT } },
  sub: { reference: (a, b) => a - b, tolerance: { rtol: 0.5 * ULP, atol: 0 }, domains: [uniformIn(-3, 3), uniformIn(-3, 3)], int32: 'int32', edges: { tolerance: EXACT } },
  mul: { reference: (a, b) => a * b, tolerance: { rtol: 0.5 * ULP, atol: 0 }, domains: [uniformIn(-3, 3), uniformIn(-3, 3)], int32: 'int32', edges: { tolerance: EXACT } },
  div: { reference: (a, b) => a / b, tolerance: { rtol: 2.5 * ULP, atol: 0 }, domains: [uniformIn(-3, 3), awayFromZero(0.25, 4)], edges: { tolerance: { rtol: 3e-7, atol: 0 } } },
  // exp2(y·log2 x) with |y| ≤ 3, x in [0.25, 4]: log2's 3 ulp of |log2 x| ≤ 2, times |y| ≤ 3, times
  // ln 2 relative in the result, plus exp2's 3 + 2·6 ulp: about 33 ulp; allow 40. At the edges'
  // small results a few ulp.
  pow: { reference: Math.pow, tolerance: { rtol: 40 * ULP, atol: 0 }, domains: [uniformIn(0.25, 4), uniformIn(-3, 3)], edges: { tolerance: { rtol: 2e-6, atol: 0 } } },
  // Gradient domains a in [−3, −0.1], b in [0.1, 3] (drawn flipped half the time) keep ties away.
  maximum: {
    reference: Math.max, tolerance: EXACT, domains: [uniformIn(-3, 3), uniformIn(-3, 3)], gradientDomains: [uniformIn(-3, -0.1), uniformIn(0.1, 3)], int32: 'int32', edges: { tolerance: EXACT },
  },
  minimum: {
    reference: Math.min, tolerance: EXACT, domains: [uniformIn(-3, 3), uniformIn(-3, 3)], gradientDomains: [uniformIn(-3, -0.1), uniformIn(0.1, 3)], int32: 'int32', edges: { tolerance: EXACT },
  },
};

/**
 * Rows whose semantics need more than a float64 map (bounds, dtypes, a truth test, random draws,
 * a composite's parts), each tested in the file named, through the public function named.
 */
export const testedElsewhere: Record<string, { file: string; through: string }> = {
  equal: { file: 'test/ops/compare.test.ts', through: 'comparisons' },
  notEqual: { file: 'test/ops/compare.test.ts', through: 'comparisons' },
  greater: { file: 'test/ops/compare.test.ts', through: 'comparisons' },
  greaterEqual: { file: 'test/ops/compare.test.ts', through: 'comparisons' },
  less: { file: 'test/ops/compare.test.ts', through: 'comparisons' },
  lessEqual: { file: 'test/ops/compare.test.ts', through: 'comparisons' },
  where: { file: 'test/ops/compare.test.ts', through: 'where' },
  clip: { file: 'test/ops/compare.test.ts', through: 'clip' },
  cast: { file: 'test/ops/compare.test.ts', through: 'cast' },
  geluTanh: { file: 'test/ops/gelu.test.ts', through: '{ approximate }' },
  normalCdf: { file: 'test/ops/gelu.test.ts', through: 'gelu' },
  dropout: { file: 'test/ops/dropout.test.ts', through: 'dropout' },
  squaredDeviation: { file: 'test/ops/normalization.test.ts', through: 'moments' },
  normalize: { file: 'test/ops/normalization.test.ts', through: 'batchNorm' },
  binaryCrossentropy: { file: 'test/losses.test.ts', through: 'binaryCrossentropy' },
  binaryCrossentropyFromLogits: { file: 'test/losses.test.ts', through: 'fromLogits' },
  binaryAccuracy: { file: 'test/metrics.test.ts', through: 'binaryAccuracy' },
};
