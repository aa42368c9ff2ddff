// sum, mean, max, min and argmax against the float64 references in test/reference, and their
// gradients (through the Tape) against finite differences of those references.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import { runSingleInputCases, thrownBy, type SingleInputResult } from './single-input-cases';

type ReduceOp = 'sum' | 'mean' | 'max' | 'min' | 'argmax';

interface ReduceCase {
  op: ReduceOp;
  shape: number[];
  data: Float32Array | Int32Array;
  /** argmax takes one axis (or none); the others any list. */
  axes?: number | number[];
  keepDims: boolean;
  /** With this, the op runs on a tape and the result carries the input gradient for this output gradient. */
  outputGradient?: Float32Array;
}

/** Unit roundoff of float32. */
const U = 2 ** -24;

const gpu = useGpuPage();

const runCases = (cases: ReduceCase[]): Promise<SingleInputResult[]> =>
  runSingleInputCases(gpu, cases.map(({ op, shape, data, axes, keepDims, outputGradient }) => ({ op, shape, data, args: [axes, keepDims], outputGradient })));

const asArray = (c: ReduceCase): ref.NdArray => ({ shape: [...c.shape], data: Float64Array.from(c.data) });

function reference(c: ReduceCase, x: ref.NdArray = asArray(c)): ref.NdArray {
  if (c.op === 'argmax') return ref.argmax(x, c.axes as number | undefined, c.keepDims);
  return ref[c.op](x, c.axes, c.keepDims);
}

/**
 * Float32 error allowed for a sum (or mean) of R terms, in any summation order: the error is
 * Σ_k δ_k·s_k over the R - 1 partial sums s_k, |s_k| ≤ Σ|x|, with rounding errors |δ_k| ≤ u that are
 * unbiased and close to independent, so its spread is ≤ u/√3 · √R · Σ|x|; 8·u·√R·Σ|x| is ~14 of those
 * (the worst case, (R - 1)·u·Σ|x|, is far too loose to catch a dropped element of a long sum).
 */
function sumTolerance(c: ReduceCase, x: ref.NdArray): number {
  const reducedCount = x.data.length / Math.max(1, ref.sizeOf(ref.sum(x, c.axes, true).shape));
  const absoluteSums = ref.sum(ref.unary(x, Math.abs), c.axes);
  const largest = Math.max(0, ...absoluteSums.data);
  const sumError = 8 * U * Math.sqrt(reducedCount) * largest;
  return c.op === 'mean' ? sumError / Math.max(reducedCount, 1) : sumError;
}

/** Compares one GPU result with the reference: sums within sumTolerance, everything else exactly. */
function expectMatches(c: ReduceCase, result: SingleInputResult, label: string): void {
  const x = asArray(c);
  const expected = reference(c, x);
  expect(result.shape, `${label}: shape`).toEqual(expected.shape);
  const exactDtype = c.op === 'mean' ? 'float32' : c.op === 'argmax' ? 'int32' : c.data instanceof Int32Array ? 'int32' : 'float32';
  expect(result.dtype, `${label}: dtype`).toBe(exactDtype);
  const float = (c.op === 'sum' && !(c.data instanceof Int32Array)) || c.op === 'mean';
  // mean also rounds once more when dividing: 2^-23 relative covers it.
  const tolerance = float ? { rtol: c.op === 'mean' ? 2 * U : 0, atol: sumTolerance(c, x) } : { rtol: 0, atol: 0 };
  ref.expectClose(result.data, expected.data, { ...tolerance, shape: expected.shape }, label);
}

const describeCase = (c: ReduceCase): string =>
  `${c.op}(${c.data instanceof Int32Array ? 'int32' : 'float32'} [${c.shape}], axes ${JSON.stringify(c.axes)}, keepDims ${c.keepDims})`;

function floatCase(op: ReduceOp, shape: number[], seed: number, axes?: number | number[], keepDims = false): ReduceCase {
  const data = Float32Array.from(ref.randomArray(shape, ref.mulberry32(seed)).data);
  return { op, shape, data, axes, keepDims };
}

function intCase(op: ReduceOp, shape: number[], seed: number, axes?: number | number[], keepDims = false, lo = -1000, hi = 1000): ReduceCase {
  const data = Int32Array.from(ref.randomIntArray(shape, ref.mulberry32(seed), lo, hi).data);
  return { op, shape, data, axes, keepDims };
}

async function checkAll(cases: ReduceCase[]): Promise<void> {
  const results = await runCases(cases);
  cases.forEach((c, i) => expectMatches(c, results[i], describeCase(c)));
}

/** Every subset of [0, rank), as sorted lists. */
function subsets(rank: number): number[][] {
  return Array.from({ length: 2 ** rank }, (_, mask) => [...Array(rank).keys()].filter((axis) => mask & (1 << axis)));
}

describe('sum, mean, max, min forward', () => {
  it('reduce random shapes of rank 1-5 over random axes (negative ones too), keepDims both ways', async () => {
    const rng = ref.mulberry32(11);
    const cases: ReduceCase[] = [];
    for (let i = 0; i < 40; i++) {
      const rank = 1 + (i % 5);
      const shape = ref.randomShape(rng, rank, 1, 7);
      const chosen = [...Array(rank).keys()].filter(() => rng() < 0.5);
      // Write some axes negative; sometimes pass a single number or nothing (all axes).
      const written = chosen.map((axis) => (rng() < 0.5 ? axis - rank : axis));
      const axes = i % 7 === 0 ? undefined : written.length === 1 && rng() < 0.5 ? written[0] : written;
      cases.push(floatCase((['sum', 'mean', 'max', 'min'] as const)[i % 4], shape, 100 + i, axes, rng() < 0.5));
    }
    await checkAll(cases);
  });

  it('reduce a [5,7,67] tensor over every subset of axes, keepDims both ways', async () => {
    const cases: ReduceCase[] = [];
    for (const axes of [undefined, ...subsets(3)]) {
      for (const keepDims of [false, true]) {
        for (const op of ['sum', 'mean', 'max', 'min'] as const) cases.push(floatCase(op, [5, 7, 67], 7, axes, keepDims));
      }
    }
    await checkAll(cases);
  });

  it('reduce axes longer than one pass (partials reduced again), contiguous and strided', async () => {
    const cases: ReduceCase[] = [];
    for (const op of ['sum', 'mean', 'max', 'min'] as const) {
      cases.push(floatCase(op, [3, 2500], 21, 1));
      cases.push(floatCase(op, [2500, 3], 22, 0, true));
      cases.push(floatCase(op, [40, 3, 53], 23, [0, 2]));
      cases.push(floatCase(op, [5001], 24));
      cases.push(floatCase(op, [2, 3, 4, 5, 6, 7, 3], 25, [-1, 1, 3, 5]));
    }
    await checkAll(cases);
  });

  it('int32 sum, max and min stay int32 and are exact; int32 mean is float32', async () => {
    const cases: ReduceCase[] = [];
    for (const op of ['sum', 'max', 'min', 'mean'] as const) {
      cases.push(intCase(op, [4, 9, 5], 31, [0, 2]));
      cases.push(intCase(op, [4, 9, 5], 32, -2, true));
      cases.push(intCase(op, [3001], 33));
      cases.push(intCase(op, [70, 45], 34, 0));
    }
    await checkAll(cases);
  });

  it('max and min propagate NaN, as NumPy does', async () => {
    const data = Float32Array.from(ref.randomArray([4, 1500], ref.mulberry32(41)).data);
    data[3] = NaN; // row 0, early
    data[1500 + 1400] = NaN; // row 1, in the second pass's chunk
    const cases: ReduceCase[] = [];
    for (const op of ['max', 'min', 'sum'] as const) {
      cases.push({ op, shape: [4, 1500], data, axes: 1, keepDims: false }, { op, shape: [4, 1500], data, axes: 0, keepDims: false });
    }
    await checkAll(cases);
  });

  it('sum over nothing is 0, mean is NaN, max/min throw; empty outputs are empty', async () => {
    await checkAll([
      floatCase('sum', [0, 3], 1, 0),
      floatCase('sum', [3, 0], 1, 1, true),
      floatCase('sum', [0], 1),
      intCase('sum', [3, 0, 2], 1, [1]),
      floatCase('mean', [3, 0], 1, 1),
      floatCase('max', [0, 3], 1, 1),
      floatCase('min', [3, 0, 4], 1, [0, 2], true),
      floatCase('sum', [2, 0, 3], 1, 2),
    ]);
    const errors = await thrownBy(gpu, [
      'wg.max(wg.zeros([0, 3]), 0)',
      'wg.min(wg.zeros([0, 3]))',
      'wg.argmax(wg.zeros([0, 3]))',
      'wg.argmax(wg.zeros([0, 3]), 0)',
    ]);
    expect(errors[0]).toMatch(/^ValueError: max: .*zero elements.*\[0,3\]/);
    expect(errors[1]).toMatch(/^ValueError: min: /);
    expect(errors[2]).toMatch(/^ValueError: argmax: .*zero elements/);
    expect(errors[3]).toMatch(/^ValueError: argmax: /);
  });

  it('reject an invalid axis (naming axis and rank) and repeated axes', async () => {
    const errors = await thrownBy(gpu, [
      'wg.sum(wg.zeros([2, 3]), 2)',
      'wg.mean(wg.zeros([2, 3]), [0, -3])',
      'wg.max(wg.zeros([2, 3]), [1, -1])',
      'wg.argmax(wg.zeros([2, 3]), 2)',
      'wg.sum(wg.tensor(5), 0)',
      'wg.min(wg.zeros([2, 3]), 0.5)',
    ]);
    expect(errors[0]).toMatch(/^ValueError: sum: axis 2 .*rank 2/);
    expect(errors[1]).toMatch(/^ValueError: mean: axis -3 .*rank 2/);
    expect(errors[2]).toMatch(/^ValueError: max: repeated axis/);
    expect(errors[3]).toMatch(/^ValueError: argmax: axis 2 .*rank 2/);
    expect(errors[4]).toMatch(/^ValueError: sum: axis 0 .*rank 0/);
    expect(errors[5]).toMatch(/^ValueError: min: axis 0.5 /);
  });
});

describe('argmax', () => {
  it('returns the first index among ties, as int32, along any axis or the flattened tensor', async () => {
    const cases: ReduceCase[] = [];
    // Values from {0,1,2,3}: every row has ties for its maximum.
    const tied = (shape: number[], seed: number, axes?: number, keepDims = false): ReduceCase => {
      const c = intCase('argmax', shape, seed, axes, keepDims, 0, 3);
      return { ...c, data: Float32Array.from(c.data) };
    };
    for (const axis of [undefined, 0, 1, 2, -1, -3]) {
      for (const keepDims of [false, true]) cases.push(tied([6, 5, 67], 51, axis, keepDims));
    }
    cases.push(intCase('argmax', [6, 5, 7], 52, 1, false, -3, 3));
    cases.push(intCase('argmax', [70], 53, undefined, true, 0, 2));
    cases.push(floatCase('argmax', [1], 54));
    cases.push(floatCase('argmax', [0, 4], 54, 1)); // empty output, no error (NumPy)
    await checkAll(cases);
  });

  it('keeps the first maximum across the passes of a long axis, and the first NaN wins', async () => {
    const long = new Float32Array(7000).fill(-1);
    long[1500] = 5; // chunk 1
    long[300] = 5; // chunk 0: the first, so the answer
    long[6500] = 5;
    const withNan = Float32Array.from(ref.randomArray([3, 2100], ref.mulberry32(61)).data);
    withNan[2100 + 2000] = NaN; // row 1: late NaN
    withNan[2100 + 1500] = NaN;
    withNan[2 * 2100 + 5] = NaN; // row 2: early NaN
    await checkAll([
      { op: 'argmax', shape: [7000], data: long, keepDims: false },
      { op: 'argmax', shape: [2, 3500], data: long, axes: 1, keepDims: false },
      { op: 'argmax', shape: [3500, 2], data: long, axes: 0, keepDims: true },
      { op: 'argmax', shape: [3, 2100], data: withNan, axes: 1, keepDims: false },
      { op: 'argmax', shape: [3, 2100], data: withNan, keepDims: false },
    ]);
  });
});

describe('gradients through the tape', () => {
  /** d<dy, op(x)>/dx by central differences of the float64 reference. */
  function numericGradient(c: ReduceCase): ref.NdArray {
    const dy = Float64Array.from(c.outputGradient!);
    const [gradient] = ref.numericGradient(([x]) => reference(c, x).data.reduce((total, value, i) => total + dy[i] * value, 0), [asArray(c)]);
    return gradient;
  }

  function withOutputGradient(c: ReduceCase, seed: number): ReduceCase {
    const outShape = reference(c).shape;
    return { ...c, outputGradient: Float32Array.from(ref.randomArray(outShape, ref.mulberry32(seed)).data) };
  }

  it('sum, mean, max and min match finite differences over several axes sets', async () => {
    const cases: ReduceCase[] = [];
    const axesList: { axes?: number | number[]; keepDims: boolean }[] = [
      { axes: 1, keepDims: false },
      { axes: [0, 2], keepDims: true },
      { axes: undefined, keepDims: false },
      { axes: -1, keepDims: true },
      { axes: [], keepDims: false },
    ];
    let seed = 80;
    for (const op of ['sum', 'mean', 'max', 'min'] as const) {
      for (const { axes, keepDims } of axesList) cases.push(withOutputGradient(floatCase(op, [3, 4, 5], seed++, axes, keepDims), seed++));
    }
    // Two passes (kept small: each finite difference re-runs the reference).
    cases.push(withOutputGradient(floatCase('mean', [1100], 98, 0), 99));
    cases.push(withOutputGradient(floatCase('max', [1100], 100), 101));
    const results = await runCases(cases);
    cases.forEach((c, i) => {
      // Finite differences of the float64 reference are good to ~1e-9 here; the GPU gradients are
      // dy routed (sum, max, min) or divided once (mean), so float32 rounding of dy is all that differs.
      ref.expectClose(results[i].gradient!, numericGradient(c).data, { rtol: 1e-6, atol: 1e-6 }, `gradient of ${describeCase(c)}`);
    });
  });

  it('max and min split the gradient equally between tied elements (what central differences give for a pair)', async () => {
    const data = Float32Array.from([1, 3, 3, 2, 0, -1, 5, -1, 4, 4, 4, 4].map((v) => v));
    const cases = [
      withOutputGradient({ op: 'max', shape: [3, 4], data, axes: 1, keepDims: false }, 110),
      withOutputGradient({ op: 'min', shape: [3, 4], data, axes: 1, keepDims: true }, 111),
    ];
    const results = await runCases(cases);
    // Rows 0 and 1 tie in pairs, where the central difference is exactly half; row 2 ties four ways,
    // where it says 1/2 each but a split gradient must be 1/4 each (summing to dy, as JAX and PyTorch's amax).
    cases.forEach((c, i) => {
      const numeric = numericGradient(c).data;
      const dy = c.outputGradient!;
      const expected = numeric.map((value, k) => (k >= 8 ? dy[2] / 4 : value));
      ref.expectClose(results[i].gradient!, expected, { rtol: 1e-6, atol: 1e-6 }, `gradient of ${describeCase(c)}`);
    });
  });

  it('argmax passes no gradient, and a target reached only through it is an error', async () => {
    const outcome = await gpu.run(async (wg) => {
      const x = wg.tensor([[1, 2], [4, 3]]);
      const tape = new wg.Tape();
      const y = tape.record(() => wg.mul(x, wg.argmax(x, 1, true)));
      const [gx] = tape.gradient(y, [x], { outputGradient: wg.onesLike(y) });
      const onlyThroughArgmax = new wg.Tape();
      const z = onlyThroughArgmax.record(() => wg.mul(wg.argmax(x), 2.5));
      let error = 'no error';
      try {
        onlyThroughArgmax.gradient(z, [x]);
      } catch (e) {
        error = `${(e as Error).name}: ${(e as Error).message}`;
      }
      return { gx: Array.from(await gx.data()), error };
    });
    expect(outcome.gx).toEqual([1, 1, 0, 0]); // d(x · argmax(x))/dx = argmax(x), nothing through argmax
    expect(outcome.error).toMatch(/^NonDifferentiableError: .*argmax/);
  });
});

describe('2^24-element reductions', () => {
  it('sum and mean of 2^24 floats in [0,1) are accurate; so are the row sums of a [4096,1024] matrix', async () => {
    // The data is made in the page from the same seeded generator as here: 64 MiB is too much to send.
    const n = 2 ** 24;
    const seed = 71;
    const rows = [4096, 1024];
    const result = await gpu.run(async (wg, args) => {
      const rng = (new Function(`return (${args.rngSource})`)() as (seed: number) => () => number)(args.seed);
      const values = new Float32Array(args.n);
      for (let i = 0; i < args.n; i++) values[i] = rng();
      const x = wg.tensor(values);
      const matrix = wg.tensor(values.subarray(0, args.rows[0] * args.rows[1]), args.rows);
      await wg.synchronize(); // uploads done: the timings below are the reductions (and readback) only
      const timed = async (fn: () => Tensor): Promise<{ values: number[]; ms: number }> => {
        const start = performance.now();
        const y = fn();
        const out = Array.from(await y.data());
        const ms = performance.now() - start;
        y.dispose();
        return { values: out, ms };
      };
      // Twice each: the first call includes compiling the pipelines.
      const sums = [await timed(() => wg.sum(x)), await timed(() => wg.sum(x))];
      const means = [await timed(() => wg.mean(x)), await timed(() => wg.mean(x))];
      const rowSums = [await timed(() => wg.sum(matrix, 1)), await timed(() => wg.sum(matrix, 1))];
      x.dispose();
      matrix.dispose();
      return { sums, means, rowSums };
    }, { n, seed, rows, rngSource: ref.mulberry32.toString() });

    const rng = ref.mulberry32(seed);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.fround(rng());
    let total = 0;
    let sequential = 0;
    for (const v of values) {
      total += v;
      sequential = Math.fround(sequential + v);
    }
    // The kernel sums chunks of 1024, then the 16384 chunk sums in chunks of 1024, then those 16: a
    // tree of sequential float32 sums. With unbiased rounding errors (≤ u relative) the error's
    // spread is u/√3 · Σx · √(Σ_levels L/(3m)) (L terms per sum, m sums per level) ≈ 1.7e-7 · Σx.
    // rtol 2e-6 is ~12 of those, and fails one sequential float32 loop, which is checked here too.
    const rtol = 2e-6;
    expect(Math.abs(sequential - total) / total, 'a sequential float32 sum fails this tolerance').toBeGreaterThan(rtol);
    for (const sum of result.sums) ref.expectClose(sum.values, [total], { rtol, atol: 0 }, 'sum of 2^24');
    for (const mean of result.means) ref.expectClose(mean.values, [total / n], { rtol: rtol + 2 * U, atol: 0 }, 'mean of 2^24');
    const rowReference = ref.sum({ shape: rows, data: values.subarray(0, rows[0] * rows[1]) }, 1);
    const rowTolerance = 8 * U * Math.sqrt(rows[1]) * rows[1];
    for (const rowSum of result.rowSums) ref.expectClose(rowSum.values, rowReference.data, { rtol: 0, atol: rowTolerance }, 'row sums');
    const errors = {
      sum: Math.abs(result.sums[0].values[0] - total) / total,
      mean: Math.abs(result.means[0].values[0] - total / n) / (total / n),
    };
    console.log(
      `2^24 sum: ${result.sums.map((r) => r.ms.toFixed(0)).join(' / ')} ms, mean ${result.means.map((r) => r.ms.toFixed(0)).join(' / ')} ms, ` +
        `[4096,1024] sum(axis 1): ${result.rowSums.map((r) => r.ms.toFixed(0)).join(' / ')} ms (first / second call); ` +
        `relative errors: sum ${errors.sum.toExponential(2)}, mean ${errors.mean.toExponential(2)}`,
    );
  });
});
