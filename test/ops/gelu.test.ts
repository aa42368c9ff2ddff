// gelu in both forms against float64 references (test/reference/erf.ts: erf by DLMF 7.6.2 / 7.9.2,
// checked against published values there): values, first derivatives (fused kernel) and second
// derivatives (the composed backward, recorded), NaN/±Inf/±0, and the activations that name them.
//
// Tolerances: 1 ulp of a float32 near v is 2^-23·|v| at most. The WGSL spec lets exp err by
// 3 + 2|a| ulp for exp(a); the exact form's lower tail (x < −1.3125) is φ(x)/F with φ = e^(−x²/2),
// so its relative error is bounded by exp's at a = x²/2, plus a few ulp for the continued fraction
// F and the products. Above −1.3125 it is ½ + ½erf(x/√2), erf within 1 ulp (+ exp's error in its
// upper branch), rounded into a value of at least 0.09: a few ulp of 1.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { geluExact, geluExactDerivative, geluTanh, normalCdf, normalPdf } from '../reference/erf';
import { numericGradient, ndarray } from '../reference';

const gpu = useGpuPage();
const ULP = 2 ** -23;

/** float32 grid over [lo, hi]. */
const grid = (lo: number, hi: number, n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

/** The largest error of `actual` against `expected` in units of tolerance(x) (≤ 1 passes). */
function worstRatio(x: Float32Array, actual: ArrayLike<number>, expected: (x: number) => number, tolerance: (x: number, v: number) => number): { ratio: number; at: number } {
  let worst = { ratio: 0, at: NaN };
  x.forEach((xi, i) => {
    const v = expected(xi);
    const ratio = Math.abs(actual[i] - v) / tolerance(xi, v);
    if (!(ratio <= worst.ratio)) worst = { ratio, at: xi };
  });
  return worst;
}

const GELU_C = Math.sqrt(2 / Math.PI);
const LOWER_TAIL = -1.3125;
/** 1 + x²: exp's 3 + 2|a| ulp at a = x²/2 in the lower tail, counted with the rest below. */
const tailUlps = (x: number): number => (x < LOWER_TAIL ? 3 + x * x : 0);
/** 2^-149, the smallest float32: keeps a tolerance positive where the value is 0. */
const TINY = 2 ** -149;

// exact value: 4 ulp (erf's 1, the halving and the product; in the tail F's 60 divisions stay
// within 3) plus exp's share in the tail.
const exactTolerance = (x: number, v: number): number => ULP * Math.abs(v) * (4 + tailUlps(x)) + TINY;
// exact derivative Φ + xφ: its terms each within the bound above, so relative to their magnitudes
// (the sum crosses zero at x ≈ −0.75, where a relative bound would mean nothing).
const exactDerivativeTolerance = (x: number): number => {
  const pdfTerm = Math.abs(x) * normalPdf(x);
  return ULP * (4 * (normalCdf(x) + pdfTerm) + (3 + x * x) * pdfTerm) + TINY;
};
// tanh form: stableTanh's exp(−2|u|) (3 + 4|u| ulp), its division and the sums, as magnitudes of
// the terms; 1 + tanh(u) cancels for x < 0, so tanh's error counts at ½|x|, not at |v|.
const tanhUlps = (x: number): number => 8 + 4 * Math.abs(GELU_C * (x + 0.044715 * x ** 3));
const tanhTolerance = (x: number, v: number): number => ULP * (4 * Math.abs(v) + tanhUlps(x) * 0.5 * Math.abs(x)) + TINY;
const tanhDerivative = (x: number): number => {
  const t = Math.tanh(GELU_C * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
};
const tanhDerivativeTolerance = (x: number): number => ULP * tanhUlps(x) * (1 + Math.abs(x) * GELU_C * (1 + 3 * 0.044715 * x * x)) + TINY;

/** y = gelu(x) and dy/dx (fused backward kernel) for both forms, in the page. */
async function valuesAndGradients(x: Float32Array): Promise<number[][]> {
  return gpu.run(async (wg, args) => {
    const before = wg.memory().numTensors;
    const x = wg.tensor(args.x, [args.x.length]);
    const results: number[][] = [];
    for (const approximate of [false, true]) {
      const tape = new wg.Tape();
      const y = tape.record(() => wg.gelu(x, { approximate }));
      const [dx] = tape.gradient(y, [x]);
      results.push(Array.from(await y.data()), Array.from(await dx.data()));
      y.dispose();
      dx.dispose();
    }
    const method = x.gelu();
    results.push(Array.from(await method.data()));
    method.dispose();
    x.dispose();
    results.push([wg.memory().numTensors - before]);
    return results;
  }, { x });
}

describe('gelu', () => {
  it('exact by default (Keras 3 gelu, approximate=False) and tanh with approximate: float64 values and derivatives on [−12, 12]', async () => {
    const x = grid(-12, 12, 4801);
    const [exact, exactGrad, tanh, tanhGrad, method, [leaked]] = await valuesAndGradients(x);
    const cases: [string, number[], (x: number) => number, (x: number, v: number) => number][] = [
      ['exact', exact, geluExact, exactTolerance],
      ['exact derivative', exactGrad, geluExactDerivative, (xi) => exactDerivativeTolerance(xi)],
      ['tanh form', tanh, geluTanh, tanhTolerance],
      ['tanh form derivative', tanhGrad, tanhDerivative, (xi) => tanhDerivativeTolerance(xi)],
      ['Tensor.gelu()', method, geluExact, exactTolerance],
    ];
    for (const [name, actual, reference, tolerance] of cases) {
      const { ratio, at } = worstRatio(x, actual, reference, tolerance);
      expect(ratio, `${name}: worst at x = ${at}`).toBeLessThanOrEqual(1);
    }
    // The two forms are different functions: they differ by up to 4.7e-4 (at x ≈ ±2.7).
    const gap = Math.max(...exact.map((v, i) => Math.abs(v - tanh[i])));
    expect(gap).toBeGreaterThan(4.6e-4);
    expect(gap).toBeLessThan(4.8e-4);
    expect(leaked).toBe(0);
  });

  it('derivatives equal float64 central differences of the reference at points off the grid', async () => {
    const x = Float32Array.from([-6.3, -2.2, -1.31, -1.32, -0.75, -0.1, 0, 0.4, 1.9, 5.5]);
    const [, exactGrad, , tanhGrad] = await valuesAndGradients(x);
    const data = ndarray([x.length], x);
    const fd = (f: (v: number) => number) => numericGradient(([a]) => a.data.reduce((total, v) => total + f(v), 0), [data])[0].data;
    const exactFd = fd(geluExact);
    const tanhFd = fd(geluTanh);
    // Central differences with h = 1e-6 on a smooth float64 function: error ~1e-10, far below the bounds.
    x.forEach((xi, i) => {
      expect(Math.abs(exactGrad[i] - exactFd[i]), `exact at ${xi}`).toBeLessThanOrEqual(exactDerivativeTolerance(xi) + 1e-9);
      expect(Math.abs(tanhGrad[i] - tanhFd[i]), `tanh at ${xi}`).toBeLessThanOrEqual(tanhDerivativeTolerance(xi) + 1e-9);
    });
  });

  it('second derivatives through the recorded (composed) backward: φ(x)(2 − x²) and the tanh form\'s', async () => {
    const x = grid(-4, 4, 17);
    const second = await gpu.run(async (wg, args) => {
      const x = wg.tensor(args.x, [args.x.length]);
      const results: number[][] = [];
      for (const approximate of [false, true]) {
        const outer = new wg.Tape();
        const g = outer.record(() => {
          const inner = new wg.Tape();
          const y = inner.record(() => wg.gelu(x, { approximate }));
          return inner.gradient(y, [x])[0];
        });
        const [gg] = outer.gradient(g, [x]);
        results.push(Array.from(await gg.data()));
        g.dispose();
        gg.dispose();
      }
      x.dispose();
      return results;
    }, { x });
    const h = 1e-5;
    const centered = (f: (v: number) => number) => (v: number): number => (f(v + h) - f(v - h)) / (2 * h);
    const expected = [centered(geluExactDerivative), centered(tanhDerivative)];
    // The composed path is ~10 float32 ops including exp (3 + 16 ulp at |x| ≤ 4) and tanh: 64 ulp
    // of the largest term (|x|·φ·x² or its tanh analogue, at most about 2), plus the differences' ~1e-9.
    x.forEach((xi, i) => {
      expect(Math.abs(second[0][i] - normalPdf(xi) * (2 - xi * xi)), `exact analytic at ${xi}`).toBeLessThanOrEqual(64 * ULP * 2);
      second.forEach((row, form) => expect(Math.abs(row[i] - expected[form](xi)), `form ${form} at ${xi}`).toBeLessThanOrEqual(64 * ULP * 2 + 1e-8));
    });
  });

  it('NaN in gives NaN; ±Inf go to their limits (+∞ and 0; derivatives 1 and 0); ±0 stay signed zeros with slope ½', async () => {
    const specials = Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 50, -50]);
    const [exact, exactGrad, tanh, tanhGrad] = await valuesAndGradients(specials);
    for (const [values, grads] of [[exact, exactGrad], [tanh, tanhGrad]]) {
      expect(Number.isNaN(values[0]) && Number.isNaN(grads[0])).toBe(true);
      expect(values.slice(1, 3)).toEqual([Infinity, 0]);
      expect(grads.slice(1, 3)).toEqual([1, 0]);
      expect(Object.is(values[3], 0) && Object.is(values[4], -0)).toBe(true);
      expect(grads.slice(3, 5)).toEqual([0.5, 0.5]);
      expect([values[5], values[6] === 0]).toEqual([50, true]);
    }
  });

  it('rejects int32 input with a ValueError naming gelu', async () => {
    const message = await gpu.run((wg) => {
      const x = wg.tensor([1, 2], [2], 'int32');
      try {
        wg.gelu(x);
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      } finally {
        x.dispose();
      }
    }, null);
    expect(message).toMatch(/^ValueError: gelu: .*int32/);
  });
});
