// moments, layerNorm and batchNorm (with given statistics, and with batch statistics as in training)
// against float64 references, and their gradients (fused backward kernels and the composed rules a
// recorded backward pass uses) against finite differences of those references.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import { numericGradients, runExpressions, type ExpressionCase } from './expression-cases';
import { tensorArg, thrownInPage } from './op-calls';

const gpu = useGpuPage();

/** Reference: (x − mean)/√(variance + ε)·gamma + beta, every operand broadcast against x. */
function normalizeRef(x: ref.NdArray, mean: ref.NdArray, variance: ref.NdArray, gamma: ref.NdArray | null, beta: ref.NdArray | null, epsilon: number): ref.NdArray {
  return ref.mapBroadcast([x, mean, variance, gamma ?? ref.scalar(1), beta ?? ref.scalar(0)], ([v, m, s, g, b]) => ((v - m) / Math.sqrt(s + epsilon)) * g + b);
}

/** Reference layer norm over `axes`; gamma/beta have the normalized axes' shape. */
function layerNormRef(x: ref.NdArray, gamma: ref.NdArray | null, beta: ref.NdArray | null, axes: number[], epsilon: number): ref.NdArray {
  const along = axes.map((axis) => ref.normalizeAxis(axis, x.shape.length));
  const broadcastShape = x.shape.map((dim, a) => (along.includes(a) ? dim : 1));
  const shaped = (p: ref.NdArray | null): ref.NdArray | null => (p ? ref.reshape(p, broadcastShape) : null);
  return normalizeRef(x, ref.mean(x, along, true), ref.variance(x, along, true), shaped(gamma), shaped(beta), epsilon);
}

const random = (shape: number[], seed: number, lo = -2, hi = 2): ref.NdArray => {
  // Rounded to float32 so the reference sees exactly the values the GPU gets.
  const x = ref.randomArray(shape, ref.mulberry32(seed), lo, hi);
  return { shape: x.shape, data: Float64Array.from(Float32Array.from(x.data)) };
};

const withGradient = (c: ExpressionCase, outputShape: number[], seed: number): ExpressionCase => ({
  ...c,
  outputGradient: Float32Array.from(random(outputShape, seed, -1, 1).data),
});

/**
 * Forward tolerance: mean and variance are float32 sums of ≤ 402 terms (≤ 402·2⁻²⁴ relative to
 * Σ|x|, ~2e-5 of the mean's scale at worst, far less on average), inverseSqrt is within 2 ULP, and
 * the normalized values are O(3): rtol 2e-5 with atol 3e-5.
 */
const FORWARD = { rtol: 2e-5, atol: 3e-5 };
/**
 * Gradients: the backward pass subtracts the row means of dy·gamma and of dy·gamma·x̂ (a cancellation
 * of O(1) terms down to O(1e-1)), each from float32 sums, then scales by rsqrt(var + ε) ≈ 2:
 * ~1e-5 absolute error. Finite differences of the float64 reference are good to ~1e-8.
 */
const GRADIENT = { rtol: 2e-4, atol: 1e-4 };

function expectGradients(c: ExpressionCase, result: { gradients?: (number[] | null)[]; recordedGradients?: (number[] | null)[] }, evaluate: (inputs: ref.NdArray[]) => ref.NdArray, label: string): void {
  const expected = numericGradients(c, evaluate);
  expected.forEach((gradient, i) => {
    if (!gradient) return;
    ref.expectClose(result.gradients![i]!, gradient.data, GRADIENT, `${label}: gradient of input ${i}`);
    ref.expectClose(result.recordedGradients![i]!, gradient.data, GRADIENT, `${label}: recorded (composed) gradient of input ${i}`);
  });
}

describe('moments', () => {
  it('match the float64 mean and (biased) variance over any axes, with and without keepDims, and their gradients', async () => {
    const specs: { shape: number[]; axes: number[]; keepDims: boolean }[] = [
      { shape: [4, 67], axes: [-1], keepDims: false },
      { shape: [3, 4, 5], axes: [0, 2], keepDims: true },
      { shape: [2, 3, 4], axes: [0, 1], keepDims: false },
      { shape: [130], axes: [0], keepDims: false },
    ];
    const cases = specs.map(({ shape, axes, keepDims }, i) => withGradient({
      // Mean and variance flattened and concatenated, so one output carries both.
      expression: `wg.tidy(() => { const m = wg.moments(t[0], ${JSON.stringify(axes)}, ${keepDims}); return wg.concat([wg.reshape(m.mean, [-1]), wg.reshape(m.variance, [-1])], 0); })`,
      inputs: [tensorArg(random(shape, 10 + i))],
    }, [2 * ref.mean(random(shape, 10 + i), axes).data.length], 20 + i));
    const evaluate = (i: number) => ([x]: ref.NdArray[]): ref.NdArray => {
      const { axes } = specs[i];
      const mean = ref.mean(x, axes).data;
      const variance = ref.variance(x, axes).data;
      return ref.ndarray([mean.length * 2], [...mean, ...variance]);
    };
    const results = await runExpressions(gpu, cases);
    results.forEach((result, i) => {
      const { shape, axes, keepDims } = specs[i];
      const label = `moments([${shape}], [${axes}], keepDims ${keepDims})`;
      ref.expectClose(result.values, evaluate(i)(cases[i].inputs.map((input) => ({ shape: input.shape, data: Float64Array.from(input.values) }))).data, FORWARD, label);
      expectGradients(cases[i], result, evaluate(i), label);
    });
    // keepDims shapes, checked directly.
    const shapes = await gpu.run((wg) => {
      const x = wg.zeros([3, 4, 5]);
      const kept = wg.moments(x, [0, 2], true);
      const dropped = wg.moments(x, -1);
      const result = [kept.mean.shape, kept.variance.shape, dropped.mean.shape, dropped.variance.shape].map((s) => [...s]);
      [x, kept.mean, kept.variance, dropped.mean, dropped.variance].forEach((t) => t.dispose());
      return result;
    });
    expect(shapes).toEqual([[1, 4, 1], [1, 4, 1], [3, 4], [3, 4]]);
  });
});

describe('layerNorm', () => {
  const specs: { shape: number[]; axis: number | number[]; affine: boolean; epsilon?: number }[] = [
    { shape: [3, 5], axis: -1, affine: true },
    { shape: [2, 3, 67], axis: -1, affine: true },
    { shape: [2, 4, 3], axis: [1, 2], affine: true },
    { shape: [4, 3], axis: 0, affine: true },
    { shape: [3, 4, 2], axis: -2, affine: false, epsilon: 1e-5 },
    { shape: [5, 130], axis: 1, affine: true, epsilon: 0.5 },
    // Non-contiguous axes take the composed path (moments + the normalize kernel).
    { shape: [3, 2, 4], axis: [0, 2], affine: true },
    { shape: [3, 2, 4], axis: [-1, 0], affine: false },
  ];
  const axesOf = (axis: number | number[]): number[] => (typeof axis === 'number' ? [axis] : axis);
  const paramShape = (shape: number[], axis: number | number[]): number[] => axesOf(axis).map((a) => shape[ref.normalizeAxis(a, shape.length)]);

  function layerNormCase(i: number): ExpressionCase {
    const { shape, axis, affine, epsilon } = specs[i];
    const inputs = [tensorArg(random(shape, 100 + i))];
    if (affine) inputs.push(tensorArg(random(paramShape(shape, axis), 200 + i, 0.5, 1.5)), tensorArg(random(paramShape(shape, axis), 300 + i, -1, 1)));
    const options = JSON.stringify({ axis, ...(epsilon === undefined ? {} : { epsilon }) });
    return withGradient({ expression: `wg.layerNorm(t[0], ${affine ? 't[1], t[2]' : 'null, null'}, ${options})`, inputs }, shape, 400 + i);
  }

  const evaluate = (i: number) => ([x, gamma, beta]: ref.NdArray[]): ref.NdArray =>
    layerNormRef(x, gamma ?? null, beta ?? null, axesOf(specs[i].axis), specs[i].epsilon ?? 1e-3);

  it('matches the float64 reference over the last axis, several (contiguous or not) axes, and others (negative too), with and without gamma/beta, and its gradients', async () => {
    const cases = specs.map((_, i) => layerNormCase(i));
    const results = await runExpressions(gpu, cases);
    results.forEach((result, i) => {
      const label = `layerNorm(${JSON.stringify(specs[i])})`;
      const inputs = cases[i].inputs.map((input) => ({ shape: input.shape, data: Float64Array.from(input.values) }));
      expect(result.shape).toEqual(specs[i].shape);
      ref.expectClose(result.values, evaluate(i)(inputs).data, FORWARD, label);
      expectGradients(cases[i], result, evaluate(i), label);
    });
  });

  it('uses Keras\'s epsilon 1e-3 by default: a constant row normalizes to exactly beta, a ±1 row to ±1/√(1 + 1e-3)', async () => {
    const values = await gpu.run(async (wg) => {
      const [x, gamma, beta] = [wg.tensor([[5, 5, 5, 5], [1, -1, 1, -1]]), wg.ones([4]), wg.full([4], 0.5)];
      const y = wg.layerNorm(x, gamma, beta);
      const out = Array.from(await y.data());
      [x, gamma, beta, y].forEach((t) => t.dispose());
      return out;
    });
    const s = 1 / Math.sqrt(1 + 1e-3);
    ref.expectClose(values, [0.5, 0.5, 0.5, 0.5, 0.5 + s, 0.5 - s, 0.5 + s, 0.5 - s], { rtol: 1e-6, atol: 1e-6 }, 'layerNorm default epsilon');
  });
});

describe('batchNorm', () => {
  it('with given statistics (inference) matches the reference for channels-last and broadcast [1,C,1] statistics, and its gradients for all five inputs', async () => {
    const specs = [
      { shape: [4, 3, 5], statShape: [5], affine: true },
      { shape: [2, 3, 4], statShape: [1, 3, 1], affine: true },
      { shape: [6, 7], statShape: [7], affine: false },
    ];
    const cases = specs.map(({ shape, statShape, affine }, i) => {
      const inputs = [
        tensorArg(random(shape, 500 + i)),
        tensorArg(random(statShape, 510 + i, -0.5, 0.5)),
        tensorArg(random(statShape, 520 + i, 0.2, 2)),
      ];
      if (affine) inputs.push(tensorArg(random(statShape, 530 + i, 0.5, 1.5)), tensorArg(random(statShape, 540 + i)));
      return withGradient({ expression: `wg.batchNorm(t[0], t[1], t[2], ${affine ? 't[3], t[4]' : 'null, null'}, 1e-3)`, inputs }, shape, 550 + i);
    });
    const evaluate = ([x, mean, variance, gamma, beta]: ref.NdArray[]): ref.NdArray => normalizeRef(x, mean, variance, gamma ?? null, beta ?? null, 1e-3);
    const results = await runExpressions(gpu, cases);
    results.forEach((result, i) => {
      const label = `batchNorm(${JSON.stringify(specs[i])})`;
      const inputs = cases[i].inputs.map((input) => ({ shape: input.shape, data: Float64Array.from(input.values) }));
      ref.expectClose(result.values, evaluate(inputs).data, FORWARD, label);
      expectGradients(cases[i], result, evaluate, label);
    });
  });

  it('with batch statistics (training) matches the reference, gradients flowing through the moments', async () => {
    const specs = [
      { shape: [8, 3], axes: [0] },
      { shape: [4, 3, 5], axes: [0, 1] },
      { shape: [3, 4, 2], axes: [0, 2] },
    ];
    const cases = specs.map(({ shape, axes }, i) => {
      const features = shape.map((dim, a) => (axes.includes(a) ? 1 : dim));
      return withGradient({
        expression: `wg.tidy(() => { const m = wg.moments(t[0], ${JSON.stringify(axes)}, true); return wg.batchNorm(t[0], m.mean, m.variance, t[1], t[2]); })`,
        inputs: [tensorArg(random(shape, 600 + i)), tensorArg(random(features, 610 + i, 0.5, 1.5)), tensorArg(random(features, 620 + i))],
      }, shape, 630 + i);
    });
    const evaluate = (i: number) => ([x, gamma, beta]: ref.NdArray[]): ref.NdArray =>
      normalizeRef(x, ref.mean(x, specs[i].axes, true), ref.variance(x, specs[i].axes, true), gamma, beta, 1e-3);
    const results = await runExpressions(gpu, cases);
    results.forEach((result, i) => {
      const label = `batchNorm training(${JSON.stringify(specs[i])})`;
      const inputs = cases[i].inputs.map((input) => ({ shape: input.shape, data: Float64Array.from(input.values) }));
      ref.expectClose(result.values, evaluate(i)(inputs).data, FORWARD, label);
      expectGradients(cases[i], result, evaluate(i), label);
    });
  });
});

describe('edge cases and errors', () => {
  it('give empty outputs for empty inputs', async () => {
    const shapes = await gpu.run((wg) => wg.tidy(() => [
      wg.layerNorm(wg.zeros([0, 4]), wg.ones([4]), wg.zeros([4])).shape,
      wg.batchNorm(wg.zeros([0, 3]), wg.zeros([3]), wg.ones([3])).shape,
      wg.moments(wg.zeros([0, 3]), -1).variance.shape,
    ].map((s) => [...s])));
    expect(shapes).toEqual([[0, 4], [0, 3], [0]]);
  });

  it('name the op, the shapes or the axis in their errors', async () => {
    const errors = await Promise.all([
      thrownInPage(gpu, (wg) => wg.layerNorm(wg.zeros([2, 3]), wg.ones([2]))),
      thrownInPage(gpu, (wg) => wg.layerNorm(wg.zeros([2, 3]), null, null, { axis: 2 })),
      thrownInPage(gpu, (wg) => wg.layerNorm(wg.zeros([2, 3], 'int32'))),
      thrownInPage(gpu, (wg) => wg.layerNorm(wg.zeros([2, 3]), null, null, { epsilon: -1 })),
      thrownInPage(gpu, (wg) => wg.batchNorm(wg.zeros([2, 3]), wg.zeros([4]), wg.ones([3]))),
      thrownInPage(gpu, (wg) => wg.batchNorm(wg.zeros([3]), wg.zeros([2, 3]), wg.ones([3]))),
      thrownInPage(gpu, (wg) => wg.moments(wg.zeros([2, 3]), [1, -1])),
    ]);
    expect(errors[0]).toMatch(/^ShapeError: layerNorm: gamma .*\[3\].*\[2\]/);
    expect(errors[1]).toMatch(/^ValueError: layerNorm: axis 2 .*rank 2/);
    expect(errors[2]).toMatch(/^ValueError: layerNorm: .*float32.*int32/);
    expect(errors[3]).toMatch(/^ValueError: layerNorm: epsilon .*-1/);
    expect(errors[4]).toMatch(/^ShapeError: batchNorm.*mean \[4\].*x \[2,3\]/);
    expect(errors[5]).toMatch(/^ShapeError: batchNorm: mean \[2,3\] does not broadcast to x \[3\]/);
    expect(errors[6]).toMatch(/^ValueError: moments: repeated axis/);
  });
});
