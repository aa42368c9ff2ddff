// matmul on the GPU against the float64 reference: shapes (odd, degenerate, batched with broadcast
// batch dims), all four transpose combinations, errors, and tape gradients against finite differences.
//
// Tolerance. A float32 dot product of K terms computed in any order is within about
// sqrt(K)·2^-23·Σ_k |a_ik|·|b_kj| of the exact value for random rounding (K·2^-23·… is the worst
// case). Every element is checked against 4·sqrt(K)·2^-23 times its own Σ|a||b| (the reference
// matmul of |A| and |B|), so exact zeros must come out exactly zero and an index mistake, which
// moves an element by O(Σ|a||b|), fails by a factor of ~10^5.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';

const FLOAT32_EPSILON = 2 ** -23;
const SAFETY = 4;

interface MatmulCase {
  aShape: number[];
  bShape: number[];
  transposeA?: boolean;
  transposeB?: boolean;
}

interface PreparedCase extends MatmulCase {
  a: ref.NdArray;
  b: ref.NdArray;
}

/** Random inputs in [-1, 1), rounded to float32 so the GPU and the reference see the same values. */
function prepare(cases: MatmulCase[], seed: number): PreparedCase[] {
  const rng = ref.mulberry32(seed);
  const float32 = (x: ref.NdArray): ref.NdArray => ({ shape: x.shape, data: Float64Array.from(Float32Array.from(x.data)) });
  return cases.map((c) => ({ ...c, a: float32(ref.randomArray(c.aShape, rng)), b: float32(ref.randomArray(c.bShape, rng)) }));
}

const absolute = (x: ref.NdArray): ref.NdArray => ref.unary(x, Math.abs);

/** Checks each element against SAFETY·sqrt(terms)·2^-23·scale (scale: the same sum over |values|). */
function expectWithinRounding(actual: ArrayLike<number>, expected: ref.NdArray, scale: ref.NdArray, terms: number, label: string): number {
  expect(actual.length, `${label}: element count`).toBe(expected.data.length);
  const perUnitScale = SAFETY * Math.sqrt(Math.max(terms, 1)) * FLOAT32_EPSILON;
  let worstRatio = 0;
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i] - expected.data[i]);
    const allowed = perUnitScale * scale.data[i];
    const ratio = error === 0 ? 0 : error / allowed;
    if (!(ratio <= 1)) {
      throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${expected.data[i]} (error ${error}, allowed ${allowed})`);
    }
    worstRatio = Math.max(worstRatio, ratio);
  }
  if (process.env.MATMUL_TOLERANCE_LOG) console.log(`${label}: worst error / allowed = ${worstRatio.toExponential(2)}`);
  return worstRatio;
}

describe('matmul', () => {
  const gpu = useGpuPage();

  /** Runs every case in one page call and returns each result's shape and values. */
  const runOnGpu = (cases: PreparedCase[]): Promise<{ shape: number[]; values: number[] }[]> =>
    gpu.run(
      async (wg, list) => {
        const results = [];
        for (const c of list) {
          const a = wg.tensor(c.a, c.aShape);
          const b = wg.tensor(c.b, c.bShape);
          const y = wg.matmul(a, b, { transposeA: c.transposeA, transposeB: c.transposeB });
          results.push({ shape: [...y.shape], values: Array.from(await y.data()) });
          for (const t of [a, b, y]) t.dispose();
        }
        return results;
      },
      cases.map((c) => ({ ...c, a: Float32Array.from(c.a.data), b: Float32Array.from(c.b.data) })),
    );

  const checkForward = async (cases: MatmulCase[], seed: number): Promise<void> => {
    const prepared = prepare(cases, seed);
    const results = await runOnGpu(prepared);
    prepared.forEach((c, i) => {
      const options = { transposeA: c.transposeA, transposeB: c.transposeB };
      const expected = ref.matmul(c.a, c.b, options);
      const label = `[${c.aShape}] @ [${c.bShape}] ${JSON.stringify(options)}`;
      expect(results[i].shape, label).toEqual(expected.shape);
      const K = c.transposeA ? c.aShape[c.aShape.length - 2] : c.aShape[c.aShape.length - 1];
      expectWithinRounding(results[i].values, expected, ref.matmul(absolute(c.a), absolute(c.b), options), K, label);
    });
  };

  it('multiplies square, non-square, odd-sized and degenerate matrices', async () => {
    await checkForward(
      [
        { aShape: [4, 4], bShape: [4, 4] },
        { aShape: [64, 64], bShape: [64, 64] },
        { aShape: [8, 12], bShape: [12, 20] },
        { aShape: [37, 53], bShape: [53, 29] },
        { aShape: [33, 35], bShape: [35, 65] }, // just past a 32×32 workgroup block on both sides
        { aShape: [1, 70], bShape: [70, 1] },
        { aShape: [70, 1], bShape: [1, 70] }, // K = 1: an outer product
        { aShape: [5, 1], bShape: [1, 3] },
        { aShape: [1, 1], bShape: [1, 1] },
        { aShape: [3, 7], bShape: [7, 1] },
        { aShape: [1, 7], bShape: [7, 9] },
      ],
      1,
    );
  });

  it('reads transposed operands in place, for all four combinations and odd sizes', async () => {
    const cases: MatmulCase[] = [];
    for (const [M, K, N] of [[37, 53, 29], [8, 16, 12], [5, 3, 6], [1, 9, 1], [4, 1, 4]]) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          cases.push({ aShape: transposeA ? [K, M] : [M, K], bShape: transposeB ? [N, K] : [K, N], transposeA, transposeB });
        }
      }
    }
    await checkForward(cases, 2);
  });

  it('broadcasts batch dimensions both ways, with and without transposes', async () => {
    await checkForward(
      [
        { aShape: [3, 5, 7], bShape: [3, 7, 4] },
        { aShape: [2, 1, 3, 4], bShape: [5, 4, 6] },
        { aShape: [5, 4, 6], bShape: [2, 1, 6, 3] },
        { aShape: [3, 5, 7], bShape: [7, 4] },
        { aShape: [5, 7], bShape: [2, 3, 7, 4] },
        { aShape: [2, 1, 4, 3], bShape: [1, 3, 6, 4], transposeA: true, transposeB: true },
        { aShape: [4, 1, 9, 6], bShape: [3, 9, 8], transposeA: true },
        { aShape: [2, 3, 1, 1, 5, 3], bShape: [3, 1, 4, 5, 4], transposeA: true },
        { aShape: [66001, 1, 2], bShape: [2, 1] }, // more workgroups than one grid dimension holds
      ],
      3,
    );
  });

  it('handles size-0 dimensions: K = 0 gives zeros, M, N or batch = 0 an empty result', async () => {
    await checkForward(
      [
        { aShape: [3, 0], bShape: [0, 5] },
        { aShape: [0, 3], bShape: [5, 0], transposeA: true, transposeB: true },
        { aShape: [0, 4], bShape: [4, 5] },
        { aShape: [3, 4], bShape: [4, 0] },
        { aShape: [0, 3, 4], bShape: [4, 5] },
        { aShape: [2, 3, 0], bShape: [1, 0, 4] },
      ],
      4,
    );
  });

  it('rejects mismatched shapes, low ranks and int32 inputs, naming the op, shapes and transposes', async () => {
    const messages = await gpu.run(async (wg) => {
      const attempt = (f: () => unknown): string => {
        try {
          f();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      const m = (...shape: number[]) => wg.zeros(shape);
      return {
        inner: attempt(() => wg.matmul(m(2, 3), m(4, 5))),
        innerTransposed: attempt(() => wg.matmul(m(2, 3), m(4, 5), { transposeA: true, transposeB: true })),
        batch: attempt(() => wg.matmul(m(2, 3, 4), m(3, 4, 5))),
        vector: attempt(() => wg.matmul(m(3), m(3, 2))),
        scalar: attempt(() => wg.matmul(m(2, 2), wg.tensor(1))),
        rank: attempt(() => wg.matmul(m(1, 1, 1, 1, 1, 1, 1, 2, 3), m(3, 4))),
        int32: attempt(() => wg.matmul(wg.zeros([2, 2], 'int32'), m(2, 2))),
        disposed: attempt(() => {
          const x = m(2, 2);
          x.dispose();
          return wg.matmul(x, m(2, 2));
        }),
        transposedFits: attempt(() => wg.matmul(m(3, 2), m(5, 3), { transposeA: true, transposeB: true })),
      };
    });
    expect(messages.inner).toBe('ShapeError: matmul: inner dimensions differ: [2,3] @ [4,5] (3 vs 4)');
    expect(messages.innerTransposed).toBe('ShapeError: matmul: inner dimensions differ: [2,3] @ [4,5] (transposeA, transposeB) (2 vs 5)');
    expect(messages.batch).toMatch(/^ShapeError: matmul .*\[2,3,4\] @ \[3,4,5\].*\[2\] and \[3\] cannot be broadcast/);
    expect(messages.vector).toMatch(/^ShapeError: matmul: .*at least 2 dimensions.*\[3\] @ \[3,2\]/);
    expect(messages.scalar).toMatch(/^ShapeError: matmul: .*at least 2 dimensions.*\[2,2\] @ \[\]/);
    expect(messages.rank).toMatch(/^ShapeError: matmul: .*rank 9/);
    expect(messages.int32).toMatch(/^ValueError: matmul: .*int32.*cast/);
    expect(messages.disposed).toMatch(/^DisposedTensorError: matmul/);
    expect(messages.transposedFits).toBe('no error');
  });

  it('has gradients that match finite differences of the reference, through transposes and broadcasting', async () => {
    const cases: MatmulCase[] = [
      { aShape: [5, 7], bShape: [7, 6] },
      { aShape: [7, 5], bShape: [7, 6], transposeA: true },
      { aShape: [5, 7], bShape: [6, 7], transposeB: true },
      { aShape: [7, 5], bShape: [6, 7], transposeA: true, transposeB: true },
      { aShape: [2, 1, 3, 4], bShape: [5, 4, 6] },
      { aShape: [3, 4, 5], bShape: [2, 1, 6, 4], transposeA: true, transposeB: true },
      { aShape: [4, 2], bShape: [3, 4, 5], transposeA: true },
      { aShape: [9, 1], bShape: [1, 6] },
    ];
    const prepared = prepare(cases, 5);
    const rng = ref.mulberry32(6);
    const outputGradients = prepared.map((c) => {
      const y = ref.matmul(c.a, c.b, { transposeA: c.transposeA, transposeB: c.transposeB });
      return ref.ndarray(y.shape, Float32Array.from(ref.randomArray(y.shape, rng).data));
    });
    const gradients = await gpu.run(
      async (wg, list) => {
        const results = [];
        for (const c of list) {
          const a = wg.tensor(c.a, c.aShape);
          const b = wg.tensor(c.b, c.bShape);
          const tape = new wg.Tape();
          const y = tape.record(() => wg.matmul(a, b, { transposeA: c.transposeA, transposeB: c.transposeB }));
          const outputGradient = wg.tensor(c.dy, [...y.shape]);
          const [gradA, gradB] = tape.gradient(y, [a, b], { outputGradient });
          results.push({
            shapes: [[...gradA.shape], [...gradB.shape]],
            values: [Array.from(await gradA.data()), Array.from(await gradB.data())],
          });
          for (const t of [a, b, y, outputGradient, gradA, gradB]) t.dispose();
        }
        return results;
      },
      prepared.map((c, i) => ({ ...c, a: Float32Array.from(c.a.data), b: Float32Array.from(c.b.data), dy: Float32Array.from(outputGradients[i].data) })),
    );

    prepared.forEach((c, i) => {
      const options = { transposeA: c.transposeA, transposeB: c.transposeB };
      const label = `grad of [${c.aShape}] @ [${c.bShape}] ${JSON.stringify(options)}`;
      // L = Σ dy·(A @ B) is linear in each element, so central differences are exact up to float64 rounding.
      const loss = (dy: ref.NdArray) => ([a, b]: ref.NdArray[]): number =>
        ref.matmul(a, b, options).data.reduce((total, value, j) => total + value * dy.data[j], 0);
      const expected = ref.numericGradient(loss(outputGradients[i]), [c.a, c.b], 1e-3);
      const scale = ref.numericGradient(loss(absolute(outputGradients[i])), [absolute(c.a), absolute(c.b)], 1e-3);
      const productTerms = ref.sizeOf(expected[0].shape) === 0 ? 0 : ref.sizeOf(outputGradients[i].shape) * (c.transposeA ? c.aShape.at(-2)! : c.aShape.at(-1)!);
      [0, 1].forEach((input) => {
        expect(gradients[i].shapes[input], `${label}: input ${input} shape`).toEqual(input === 0 ? c.aShape : c.bShape);
        const terms = productTerms / ref.sizeOf(input === 0 ? c.aShape : c.bShape);
        expectWithinRounding(gradients[i].values[input], expected[input], scale[input], terms, `${label}: input ${input}`);
      });
    });
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
