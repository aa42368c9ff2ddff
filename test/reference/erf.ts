// float64 erf, erfc and the two GELU forms, the references for gelu (exact and tanh).
//
// erf(z) for |z| < 2: DLMF 7.6.2 (https://dlmf.nist.gov/7.6.E2), erf z = (2/√π) e^{−z²} Σ_n 2ⁿ z^{2n+1} / (1·3·…·(2n+1)),
// whose terms are all of one sign, so nothing cancels. erfc(z) for z ≥ 2: the continued fraction of
// DLMF 7.9.2 (https://dlmf.nist.gov/7.9.E2), √π e^{z²} erfc z = 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))),
// evaluated bottom-up from 200 levels (converged to 1e-16 relative for z ≥ 2; checked in erf.test.ts
// against published values).

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

function erfSeries(z: number): number {
  let term = z;
  let total = z;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-18 * Math.abs(total); n++) {
    term *= (2 * z * z) / (2 * n + 1);
    total += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-z * z) * total;
}

/** erfc(z) for z ≥ 2, with full relative precision deep into the tail. */
function erfcContinuedFraction(z: number): number {
  let fraction = z;
  for (let k = 200; k >= 1; k--) fraction = z + k / 2 / fraction;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
}

export function erf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (Math.abs(z) < 2) return erfSeries(z);
  return Math.sign(z) * (1 - erfcContinuedFraction(Math.abs(z)));
}

/** 1 − erf(z), accurate relative to itself for large z (where 1 − erf(z) would cancel). */
export function erfc(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z >= 2) return erfcContinuedFraction(z);
  if (z <= -2) return 2 - erfcContinuedFraction(-z);
  return 1 - erfSeries(z);
}

/** Φ(x), the standard normal CDF: ½·erfc(−x/√2), accurate in the lower tail. */
export const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);
/** φ(x), the standard normal density. */
export const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** GELU, exact: x·Φ(x) (Keras activation 'gelu', approximate=False; PyTorch approximate='none'). */
export const geluExact = (x: number): number => x * normalCdf(x);
/** d/dx x·Φ(x) = Φ(x) + x·φ(x). */
export const geluExactDerivative = (x: number): number => normalCdf(x) + x * normalPdf(x);

const GELU_C = Math.sqrt(2 / Math.PI);
/** GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (Keras approximate=True). */
export const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3)));
