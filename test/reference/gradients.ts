// Finite-difference gradients in float64: the ground truth for every backward rule.
import type { NdArray } from './ndarray';

/**
 * ∂f/∂input for every element of every input, by central differences
 * (f(x + eps) - f(x - eps)) / 2eps. f must not keep or mutate the arrays it is given.
 */
export function numericGradient(f: (inputs: NdArray[]) => number, inputs: readonly NdArray[], eps = 1e-6): NdArray[] {
  const points = inputs.map((input) => ({ shape: [...input.shape], data: Float64Array.from(input.data) }));
  return points.map((point) => {
    const gradient = new Float64Array(point.data.length);
    for (let i = 0; i < point.data.length; i++) {
      const original = point.data[i];
      point.data[i] = original + eps;
      const above = f(points);
      point.data[i] = original - eps;
      const below = f(points);
      point.data[i] = original;
      gradient[i] = (above - below) / (2 * eps);
    }
    return { shape: [...point.shape], data: gradient };
  });
}
