// maxPool2d and avgPool2d on the GPU against float64 references: pool sizes, strides (tiling,
// overlapping, gapped), 'valid' and 'same' padding (padding left out of the max and of the average's
// count, as TF does), batches, size-0 dims, errors; gradients against finite differences, the first
// maximum taking the gradient on ties, and second derivatives through the gradient ops.
//
// Tolerances. Max pooling and its gradient move values without arithmetic (a pixel that is the
// maximum of several windows sums at most 4 of them here), so they are compared to 1e-6 absolute.
// An average of k ≤ 9 values in [-1, 1) is within (k + 1)·2^-24 < 1e-6 of the exact one, and each
// of its gradient elements sums at most 4 such shares: 2e-6 absolute covers both.
import { describe, expect, it } from 'vitest';
import { useGpuPage, type Webgrad } from '../harness/gpu-page';
import * as ref from '../reference';
import { thrownInPage } from './op-calls';

type Kind = 'max' | 'avg';

interface PoolCase {
  kind: Kind;
  xShape: number[];
  options: ref.PoolOptions;
}

const float32 = (x: ref.NdArray): ref.NdArray => ({ shape: x.shape, data: Float64Array.from(Float32Array.from(x.data)) });

/** Distinct values (a shuffled grid over [-1, 1)) so every window has one clear maximum, at least 2/size from the next. */
function distinctArray(shape: number[], rng: ref.Rng): ref.NdArray {
  const size = ref.sizeOf(shape);
  const values = Array.from({ length: size }, (_, i) => -1 + (2 * i) / size);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return float32(ref.ndarray(shape, values));
}

const TOLERANCE = { rtol: 0, atol: 2e-6 };

const poolCases = (kind: Kind): PoolCase[] => [
  { kind, xShape: [1, 7, 9, 3], options: {} }, // 2×2 tiles, the last row and column left out
  { kind, xShape: [1, 7, 9, 3], options: { padding: 'same' } }, // … or padded
  { kind, xShape: [3, 7, 9, 3], options: { poolSize: 3, strides: 2, padding: 'same' } }, // overlapping
  { kind, xShape: [1, 7, 9, 3], options: { poolSize: 3, strides: 1, padding: 'same' } },
  { kind, xShape: [2, 7, 9, 2], options: { poolSize: [2, 3], strides: [1, 2] } },
  { kind, xShape: [1, 8, 8, 2], options: { poolSize: 2, strides: 3 } }, // gaps between windows
  { kind, xShape: [1, 5, 4, 1], options: { poolSize: [5, 4] } }, // one window: the whole image
  { kind, xShape: [1, 3, 2, 2], options: { poolSize: 4, strides: 1, padding: 'same' } }, // window wider than the image
  // Explicit asymmetric padding: padded pixels never count (avg divides by the real ones).
  { kind, xShape: [2, 7, 9, 2], options: { poolSize: 3, strides: 2, padding: [[2, 0], [1, 2]] } },
  { kind, xShape: [1, 5, 6, 1], options: { poolSize: [2, 3], strides: 1, padding: [[0, 1], [2, 0]] } },
];

describe('maxPool2d and avgPool2d', () => {
  const gpu = useGpuPage();

  /** Runs each case's forward pass and, with dy given, its gradient; one page call for all. */
  const runOnGpu = (cases: (PoolCase & { x: ref.NdArray; dy?: ref.NdArray })[]) =>
    gpu.run(
      async (wg, list) => {
        const out = [];
        for (const c of list) {
          const x = wg.tensor(c.x, c.xShape);
          const tape = new wg.Tape();
          const y = tape.record(() => (c.kind === 'max' ? wg.maxPool2d(x, c.options) : wg.avgPool2d(x, c.options)));
          const result = { shape: [...y.shape], values: Array.from(await y.data()), gradient: [] as number[] };
          if (c.dy) {
            const outputGradient = wg.tensor(c.dy, [...y.shape]);
            const [gx] = tape.gradient(y, [x], { outputGradient });
            result.gradient = Array.from(await gx.data());
            for (const t of [outputGradient, gx]) t.dispose();
          } else {
            tape.dispose();
          }
          out.push(result);
          for (const t of [x, y]) t.dispose();
        }
        return out;
      },
      cases.map((c) => ({ ...c, x: Float32Array.from(c.x.data), dy: c.dy ? Float32Array.from(c.dy.data) : undefined })),
    );

  it('matches the references, and the gradients match finite differences, over sizes, strides and paddings', async () => {
    const rng = ref.mulberry32(1);
    const cases = [...poolCases('max'), ...poolCases('avg')].map((c) => {
      const x = distinctArray(c.xShape, rng);
      return { ...c, x, dy: float32(ref.randomArray(ref.pool2d(c.kind, x, c.options).shape, rng)) };
    });
    cases.push({ ...cases[2], x: float32(ref.randomArray(cases[2].xShape, rng, -3, -1)) }); // all negative
    const results = await runOnGpu(cases);
    cases.forEach((c, i) => {
      const label = `${c.kind}Pool2d x [${c.xShape}] ${JSON.stringify(c.options)}`;
      const expected = ref.pool2d(c.kind, c.x, c.options);
      expect(results[i].shape, label).toEqual(expected.shape);
      ref.expectClose(results[i].values, expected.data, TOLERANCE, label);
      // L = Σ dy·pool(x) is linear near x (distinct values keep each maximum in place for steps
      // below 1/size), so central differences are exact up to float64 rounding.
      const loss = ([x]: ref.NdArray[]): number => ref.pool2d(c.kind, x, c.options).data.reduce((total, value, j) => total + value * c.dy.data[j], 0);
      const [expectedGradient] = ref.numericGradient(loss, [c.x], 0.25 / ref.sizeOf(c.xShape));
      ref.expectClose(results[i].gradient, expectedGradient.data, TOLERANCE, `gradient of ${label}`);
    });
  });

  it('sends the gradient to the first maximum of a window on ties, as TF does', async () => {
    const rng = ref.mulberry32(2);
    const cases = [
      { kind: 'max' as const, xShape: [2, 6, 7, 3], options: {} },
      { kind: 'max' as const, xShape: [1, 7, 7, 2], options: { poolSize: 3, strides: 2, padding: 'same' as const } },
      { kind: 'max' as const, xShape: [1, 4, 4, 1], options: { poolSize: 2, strides: 1 } },
    ].map((c) => {
      const x = ref.randomIntArray(c.xShape, rng, 0, 2); // mostly ties
      return { ...c, x, dy: float32(ref.randomArray(ref.pool2d('max', x, c.options).shape, rng)) };
    });
    // Constant input: every window ties everywhere.
    cases.push({ ...cases[2], x: ref.full([1, 4, 4, 1], 1), dy: ref.ndarray([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]) });
    const results = await runOnGpu(cases);
    cases.forEach((c, i) => {
      const label = `maxPool2d with ties, x [${c.xShape}] ${JSON.stringify(c.options)}`;
      ref.expectClose(results[i].values, ref.pool2d('max', c.x, c.options).data, TOLERANCE, label);
      ref.expectClose(results[i].gradient, ref.pool2dGradient('max', c.x, c.dy, c.options).data, TOLERANCE, `gradient of ${label}`);
    });
    // On the constant image each window's top-left pixel takes its window's gradient.
    expect(results[3].gradient).toEqual([1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0]);
  });

  it('differentiates its own gradients (second derivatives)', async () => {
    // gx = ∂/∂x Σ dy·pool(x) is linear in dy; the gradient of Σ c·gx for dy is pool's adjoint
    // applied to c: c at each window's maximum (max), the average of c (avg).
    const rng = ref.mulberry32(3);
    const cases = [
      { kind: 'max' as const, xShape: [2, 7, 9, 3], options: { poolSize: 3, strides: 2, padding: 'same' as const } },
      { kind: 'avg' as const, xShape: [2, 7, 9, 3], options: { poolSize: 3, strides: 2, padding: 'same' as const } },
    ].map((c) => {
      const x = distinctArray(c.xShape, rng);
      return { ...c, x, dy: float32(ref.randomArray(ref.pool2d(c.kind, x, c.options).shape, rng)), weights: float32(ref.randomArray(c.xShape, rng)) };
    });
    const results = await gpu.run(
      async (wg, list) => {
        const out = [];
        for (const c of list) {
          const x = wg.tensor(c.x, c.xShape);
          const weights = wg.tensor(c.weights, c.xShape);
          const pool = (t: typeof x) => (c.kind === 'max' ? wg.maxPool2d(t, c.options) : wg.avgPool2d(t, c.options));
          const dy = wg.tensor(c.dy, [...pool(x).shape]);
          const outer = new wg.Tape();
          const l2 = outer.record(() => {
            const inner = new wg.Tape();
            const y = inner.record(() => pool(x));
            const [gx] = inner.gradient(y, [x], { outputGradient: dy });
            return wg.sum(wg.mul(gx, weights));
          });
          const [gdy] = outer.gradient(l2, [dy]);
          out.push(Array.from(await gdy.data()));
        }
        return out;
      },
      cases.map((c) => ({ ...c, x: Float32Array.from(c.x.data), dy: Float32Array.from(c.dy.data), weights: Float32Array.from(c.weights.data) })),
    );
    cases.forEach((c, i) => {
      const l2 = ([dy]: ref.NdArray[]): number =>
        ref.pool2dGradient(c.kind, c.x, dy, c.options).data.reduce((total, value, j) => total + value * c.weights.data[j], 0);
      const [expected] = ref.numericGradient(l2, [c.dy], 1e-3);
      ref.expectClose(results[i], expected.data, TOLERANCE, `second derivative of ${c.kind}Pool2d`);
    });
  });

  it('handles size-0 batches and channels, and digits-sized inputs', async () => {
    const rng = ref.mulberry32(4);
    const x = distinctArray([2, 28, 28, 8], rng);
    const results = await gpu.run(async (wg, args) => {
      const empty = wg.maxPool2d(wg.zeros([0, 4, 4, 3]));
      const noChannels = wg.avgPool2d(wg.zeros([2, 4, 4, 0]), { padding: 'same', poolSize: 3 });
      const digits = wg.tensor(args.x, [2, 28, 28, 8]);
      return {
        empty: [...empty.shape],
        noChannels: [...noChannels.shape],
        max: Array.from(await wg.maxPool2d(digits).data()),
        avg: Array.from(await wg.avgPool2d(digits).data()),
      };
    }, { x: Float32Array.from(x.data) });
    expect(results.empty).toEqual([0, 2, 2, 3]);
    expect(results.noChannels).toEqual([2, 2, 2, 0]);
    ref.expectClose(results.max, ref.pool2d('max', x).data, TOLERANCE, 'maxPool2d [2,28,28,8]');
    ref.expectClose(results.avg, ref.pool2d('avg', x).data, TOLERANCE, 'avgPool2d [2,28,28,8]');
  });

  it('rejects bad shapes and options, naming the op and the shapes', async () => {
    const thrown = (attempt: (wg: Webgrad) => unknown): Promise<string> => thrownInPage(gpu, attempt);
    expect(await thrown((wg) => wg.maxPool2d(wg.zeros([4, 4, 3])))).toMatch(/^ShapeError: maxPool2d: input must be a rank-4 NHWC batch .*\[4,4,3\]/);
    expect(await thrown((wg) => wg.avgPool2d(wg.zeros([1, 4, 2, 3]), { poolSize: 3 })))
      .toMatch(/^ShapeError: avgPool2d: the window spans 3 along width .* padded input has 2: input \[1,4,2,3\], poolSize \[3,3\]/);
    expect(await thrown((wg) => wg.maxPool2d(wg.zeros([1, 4, 4, 3]), { poolSize: [2, 0] }))).toMatch(/^ValueError: maxPool2d: poolSize must be a positive integer .*\[2,0\]/);
    expect(await thrown((wg) => wg.maxPool2d(wg.zeros([1, 4, 4, 3]), { strides: -1 }))).toMatch(/^ValueError: maxPool2d: strides .*-1/);
    expect(await thrown((wg) => wg.avgPool2d(wg.zeros([1, 4, 4, 3]), { padding: 'full' as 'same' }))).toMatch(/^ValueError: avgPool2d: padding must be 'valid', 'same' or explicit, got 'full'/);
    expect(await thrown((wg) => wg.maxPool2d(wg.zeros([1, 4, 4, 3]), { padding: [[0, 2], [1, 1]] })))
      .toMatch(/^ValueError: maxPool2d: each explicit padding must be smaller than the window \(poolSize\) along its axis: input \[1,4,4,3\], poolSize \[2,2\]/);
    expect(await thrown((wg) => wg.maxPool2d(wg.zeros([1, 4, 4, 3], 'int32')))).toMatch(/^ValueError: maxPool2d: .*int32/);
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
