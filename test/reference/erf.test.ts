// The float64 erf reference against published values: DLMF/Abramowitz–Stegun Table 7.1 and
// Wolfram|Alpha to 16+ digits (erf(0.5), erf(1), erf(2), erfc(3), erfc(5), erfc(10)).
import { describe, expect, it } from 'vitest';
import { erf, erfc, geluExact, geluExactDerivative, normalCdf } from './erf';

const relativeError = (actual: number, expected: number): number => Math.abs(actual / expected - 1);

describe('float64 erf reference', () => {
  it('matches published values of erf and erfc to 1e-15 relative', () => {
    const published: [number, number, (z: number) => number][] = [
      [0.5, 0.5204998778130465377, erf],
      [1, 0.8427007929497148693, erf],
      [2, 0.9953222650189527342, erf],
      [3, 2.209049699858544137e-5, erfc],
      [5, 1.537459794428034850e-12, erfc],
      [10, 2.088487583762544757e-45, erfc],
      [-1, -0.8427007929497148693, erf],
    ];
    for (const [z, value, f] of published) expect(relativeError(f(z), value), `${f.name}(${z})`).toBeLessThan(1e-15);
  });

  it('is continuous where it switches from the series to the continued fraction', () => {
    for (const z of [1.999999999, 2]) expect(relativeError(erfc(z), erfc(2 - 1e-9))).toBeLessThan(1e-8);
    expect(relativeError(1 - erf(1.99999999999), erfc(2))).toBeLessThan(1e-10);
  });

  it('gives Φ(0) = ½, Φ(−x) = 1 − Φ(x), and a GELU derivative equal to its central difference', () => {
    expect(normalCdf(0)).toBe(0.5);
    for (const x of [0.3, 1.7, 4]) expect(Math.abs(normalCdf(-x) + normalCdf(x) - 1)).toBeLessThan(1e-15);
    for (const x of [-3, -0.7, 0.2, 2.5]) {
      const h = 1e-5;
      const numeric = (geluExact(x + h) - geluExact(x - h)) / (2 * h);
      expect(Math.abs(numeric - geluExactDerivative(x))).toBeLessThan(1e-9);
    }
  });
});
